import { stepFor } from './range';
// Types and fetchers for the Lapor JSON API (api/openapi.yaml).

export type Status = 'ok' | 'possible' | 'detected';
export type Level = 'possible' | 'detected';

export interface ServiceSummary {
  slug: string;
  name: string;
  category: string;
  countries: string[];
  aliases: string[];
  url: string;
  /** The service's own status page, where the catalog knows one. */
  status_url?: string;
  indicators: string[];
  status: Status;
  level?: Level;
  incident_id?: string;
  since?: string;
  reports_last_hour: number;
  /** Set when no incident is open but the detector's latest judgement is over its alert threshold. */
  elevated?: Elevated;
}

export interface Elevated {
  minutes: number;
  reports: number;
  expected: number;
  at: string;
}

export type EndReason = 'normal' | 'faded' | 'new_normal';

export interface Incident {
  id: string;
  service: string;
  level: Level;
  status: 'open' | 'resolved';
  started_at: string;
  updated_at: string;
  ended_at?: string;
  /** Why a resolved incident ended; absent while open (see the API's Incident). */
  end_reason?: EndReason;
  peak: number;
  peak_at: string;
  baseline: number;
  last_count: number;
  top_symptoms: { symptom: string; share: number }[];
  top_countries: string[];
}

export interface ServiceDetail extends ServiceSummary {
  incident?: Incident;
  last_hour: {
    reports: number;
    reporters: number;
    symptoms: { symptom: string; reports: number; reporters: number }[];
    countries: { country: string; reports: number; reporters: number }[];
  };
}

export interface SeriesPoint {
  t: string;
  reports: number;
  reporters: number;
  /** The bucket ends by the series' final_until: its numbers will not change. */
  final: boolean;
  /** What the detector expected; null where it judged nothing. */
  expected: number | null;
  /** The counts at which it calls the bucket possible problems and an outage; null where it judged no span this long ending here. */
  threshold_possible: number | null;
  threshold_detected: number | null;
}

export interface Series {
  service: string;
  from: string;
  to: string;
  step: number;
  unit: string;
  /** Buckets ending by this time are final; null when the server cannot tell. */
  final_until: string | null;
  points: SeriesPoint[];
}

export interface Sparklines {
  from: string;
  step: number;
  unit: string;
  services: Record<string, number[]>;
}

export interface CountryCount {
  country: string;
  reports: number;
  reporters: number;
  /** The country's usual count for the window (the mean of the same window on past days); 0 when none. */
  expected: number;
  /** reports / expected; null when the country has no usual level (expected 0). */
  ratio: number | null;
}

export interface Countries {
  service: string;
  from: string;
  to: string;
  unit: string;
  /** How many past days the expected counts average; 0 when the service has none yet. */
  usual_days: number;
  countries: CountryCount[];
}

/** An API answer that was not a success, with what the server said. */
export class APIError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

async function errorFrom(res: Response): Promise<APIError> {
  let code = 'http_' + res.status;
  let message = res.statusText;
  let field: string | undefined;
  try {
    const body = await res.json();
    if (body && body.error) {
      code = String(body.error.code ?? code);
      message = String(body.error.message ?? message);
      field = body.error.field;
    }
  } catch {
    // Not JSON (a proxy's page): keep the status text.
  }
  const ra = Number(res.headers.get('Retry-After'));
  return new APIError(res.status, code, message, field, Number.isFinite(ra) && ra > 0 ? ra : undefined);
}

/** getJSON fetches a read endpoint; it throws APIError for non-2xx answers. */
export async function getJSON<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: { Accept: 'application/json' }, signal });
  if (!res.ok) throw await errorFrom(res);
  return (await res.json()) as T;
}

/** reason says why a report was not counted: a repeat from this person, or
 * their network (a carrier's shared addresses, an office) already counted in
 * full for this window. */
export type ReportResult = {
  counted: boolean;
  id: string;
  reason?: 'duplicate' | 'network_cap';
  /** retry_at: for a duplicate, when this person counts again (RFC 3339). */
  retry_at?: string;
  /** country: where ingest located this reader (ISO 3166-1 alpha-2), for "Is it just me?"; absent when unknown. */
  country?: string;
};

/** postReport sends one report, with an optional comment; it throws APIError for refusals. */
export async function postReport(service: string, symptom: string, comment = ''): Promise<ReportResult> {
  const res = await fetch('/api/v1/reports', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(comment ? { service, symptom, comment, platform: 'web' } : { service, symptom, platform: 'web' }),
  });
  if (res.status !== 200 && res.status !== 202) throw await errorFrom(res);
  const body = (await res.json()) as ReportResult;
  const counted = res.status === 202 && body.counted !== false;
  const reason = counted ? undefined : body.reason === 'network_cap' ? 'network_cap' : 'duplicate';
  // Only a well-formed time is passed on: the page prints it as a clock time.
  const retryAt = reason === 'duplicate' && body.retry_at && Number.isFinite(Date.parse(body.retry_at)) ? body.retry_at : undefined;
  const country = typeof body.country === 'string' && /^[A-Z]{2}$/.test(body.country) ? body.country : undefined;
  return { counted, id: body.id ?? '', reason, retry_at: retryAt, country };
}

/** A reader's comment on a report (GET /api/v1/services/{slug}/comments): plain text, never HTML. */
export interface ReportComment {
  /** The report's id. */
  id: string;
  time: string;
  symptom: string;
  country: string;
  text: string;
}

export interface CommentList {
  service: string;
  since: string;
  comments: ReportComment[];
}

/** Recent is how many reported a service in the last 15 minutes, in all and from one country. */
export interface Recent {
  service: string;
  from: string;
  to: string;
  reports: number;
  reporters: number;
  /** Present when a country was asked for. */
  country?: { country: string; reports: number; reporters: number };
}

export function commentsPath(slug: string, limit = 20): string {
  return `/api/v1/services/${encodeURIComponent(slug)}/comments?limit=${limit}`;
}

export function recentPath(slug: string, country?: string): string {
  const q = country ? `?country=${encodeURIComponent(country)}` : '';
  return `/api/v1/services/${encodeURIComponent(slug)}/recent${q}`;
}

export function seriesPath(slug: string, from: string, to: string, step = stepFor(from, to)): string {
  const q = new URLSearchParams({ from, to, step });
  return `/api/v1/services/${encodeURIComponent(slug)}/series?${q}`;
}

export function csvPath(slug: string, from: string, to: string): string {
  const q = new URLSearchParams({ from, to, step: stepFor(from, to) });
  return `/api/v1/services/${encodeURIComponent(slug)}/series.csv?${q}`;
}

/** pngPath is the chart's image in the page's language and the reader's time zone (an IANA name). */
export function pngPath(slug: string, from: string, to: string, lang: string, tz: string): string {
  const q = new URLSearchParams({ from, to, step: stepFor(from, to), lang, tz });
  return `/services/${encodeURIComponent(slug)}/chart.png?${q}`;
}

export const statusRank: Record<Status, number> = { detected: 0, possible: 1, ok: 2 };
