import type { Series } from './api';
import { dateTime } from './i18n';

const DAY = 24 * 3600e3;

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * parseRange gives the chart's range: the page's `from`/`to` when valid
 * (a stable link), else the last 24 hours up to now.
 */
export function parseRange(from: string | null, to: string | null): { from: string; to: string } {
  const f = from ? Date.parse(from) : NaN;
  const tt = to ? Date.parse(to) : NaN;
  const end = Number.isFinite(tt) ? tt : Number.isFinite(f) ? Math.min(Date.now(), f + DAY) : Date.now();
  const start = Number.isFinite(f) && f < end ? f : end - DAY;
  return { from: iso(start), to: iso(end) };
}

export function rangeTitle(s: Series | undefined): string {
  return s ? `${dateTime(s.from)} – ${dateTime(s.to)}` : '';
}
