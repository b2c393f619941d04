import type { Series } from './api';
import { dateTime } from './i18n';

const DAY = 24 * 3600e3;

/** iso writes a time as RFC 3339 UTC to the second, as the API takes it. */
export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

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

/** The ranges the service page offers, in days back from now. */
export const PRESETS = { '24h': 1, '48h': 2, '7d': 7, '30d': 30 } as const;
export type Preset = keyof typeof PRESETS;

/**
 * MAX_RANGE_DAYS is the longest range the series API answers: at most 2000
 * points (MaxPoints in services/web/internal/read), and stepFor uses daily
 * buckets beyond a month.
 */
export const MAX_RANGE_DAYS = 2000;

/**
 * pageRange gives the service page's range from its URL: `range` (a preset,
 * up to now) or `from`/`to` (a stable link), else the last 24 hours. Unlike
 * parseRange it keeps what the link says when it is wrong (from after to, a
 * date that does not parse), so the API can say what is wrong.
 */
export function pageRange(
  from: string | null,
  to: string | null,
  range: string | null,
  now = Date.now(),
): { from: string; to: string; preset: Preset | null } {
  if (!from && !to) {
    const preset: Preset = range && range in PRESETS ? (range as Preset) : '24h';
    return { from: iso(now - PRESETS[preset] * DAY), to: iso(now), preset };
  }
  const f = from ? Date.parse(from) : NaN;
  const tt = to ? Date.parse(to) : NaN;
  if ((from && !Number.isFinite(f)) || (to && !Number.isFinite(tt))) {
    return { from: from ?? iso(now - DAY), to: to ?? iso(now), preset: null };
  }
  if (from && to) return { from: iso(f), to: iso(tt), preset: null };
  return { ...parseRange(from, to), preset: null };
}

/** localInput turns an ISO time into a datetime-local value in the reader's time zone. */
export function localInput(isoTime: string): string {
  const d = new Date(isoTime);
  if (!Number.isFinite(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** fromLocalInput reads a datetime-local value (the reader's time zone) as an ISO time, or '' when empty or invalid. */
export function fromLocalInput(v: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(v);
  if (!m) return '';
  const d = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  return Number.isFinite(d.getTime()) ? iso(d.getTime()) : '';
}

/**
 * stepFor picks the bucket for a range: 15 minutes up to three days (the
 * 24-hour view journalists cite), hours up to a month, days beyond, so a
 * shared link to any range stays well under the API's 2000 points.
 */
export function stepFor(from: string, to: string): '15m' | '1h' | '24h' {
  const span = Date.parse(to) - Date.parse(from);
  if (!(span > 3 * DAY)) return '15m';
  // '24h', not '1d': the API reads Go durations, which have no days.
  return span <= 31 * DAY ? '1h' : '24h';
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

/**
 * frozenRange is the range a stable link keeps: the series' range cut at its
 * last final bucket, so that the link shows the same numbers every time.
 * Without a final bucket it keeps the whole range and says so.
 */
export function frozenRange(series: Series): { from: string; to: string; final: boolean } {
  const finals = series.points.filter((p) => p.final);
  if (!finals.length) return { from: series.from, to: series.to, final: false };
  const end = Math.min(Date.parse(finals[finals.length - 1].t) + series.step * 1000, Date.parse(series.to));
  return { from: series.from, to: iso(end), final: true };
}
