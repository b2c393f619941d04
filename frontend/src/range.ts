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

/**
 * stepFor picks the bucket for a range: 15 minutes up to three days (the
 * 24-hour view journalists cite), hours up to a month, days beyond, so a
 * shared link to any range stays well under the API's 2000 points.
 */
export function stepFor(from: string, to: string): '15m' | '1h' | '1d' {
  const span = Date.parse(to) - Date.parse(from);
  if (!(span > 3 * DAY)) return '15m';
  return span <= 31 * DAY ? '1h' : '1d';
}

/**
 * lastBucket tells whether a series' last bucket is whole. It is partial when
 * it ends after the series' `to` (the API counts reports up to `to` only),
 * and still filling when it also ends after now, so its count will grow.
 */
export function lastBucket(s: Series | undefined, now = Date.now()): { partial: boolean; filling: boolean; end: number } {
  const last = s?.points[s.points.length - 1];
  if (!s || !last) return { partial: false, filling: false, end: 0 };
  const end = Date.parse(last.t) + s.step * 1000;
  const partial = end > Date.parse(s.to);
  return { partial, filling: partial && end > now, end };
}

export function rangeTitle(s: Series | undefined): string {
  return s ? `${dateTime(s.from)} – ${dateTime(s.to)}` : '';
}
