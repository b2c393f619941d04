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
  indicators: string[];
  status: Status;
  level?: Level;
  incident_id?: string;
  since?: string;
  reports_last_hour: number;
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
  baseline: number;
  baseline_low?: number;
  baseline_high?: number;
}

export interface Series {
  service: string;
  from: string;
  to: string;
  step: number;
  unit: string;
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
}

export interface Countries {
  service: string;
  from: string;
  to: string;
  unit: string;
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
};

/** postReport sends one report; it throws APIError for refusals. */
export async function postReport(service: string, symptom: string): Promise<ReportResult> {
  const res = await fetch('/api/v1/reports', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ service, symptom, platform: 'web' }),
  });
  if (res.status !== 200 && res.status !== 202) throw await errorFrom(res);
  const body = (await res.json()) as ReportResult;
  const counted = res.status === 202 && body.counted !== false;
  const reason = counted ? undefined : body.reason === 'network_cap' ? 'network_cap' : 'duplicate';
  // Only a well-formed time is passed on: the page prints it as a clock time.
  const retryAt = reason === 'duplicate' && body.retry_at && Number.isFinite(Date.parse(body.retry_at)) ? body.retry_at : undefined;
  return { counted, id: body.id ?? '', reason, retry_at: retryAt };
}

export function seriesPath(slug: string, from: string, to: string, step = stepFor(from, to)): string {
  const q = new URLSearchParams({ from, to, step });
  return `/api/v1/services/${encodeURIComponent(slug)}/series?${q}`;
}

export function csvPath(slug: string, from: string, to: string): string {
  const q = new URLSearchParams({ from, to, step: stepFor(from, to) });
  return `/api/v1/services/${encodeURIComponent(slug)}/series.csv?${q}`;
}

export function pngPath(slug: string, from: string, to: string): string {
  const q = new URLSearchParams({ from, to, step: stepFor(from, to) });
  return `/services/${encodeURIComponent(slug)}/chart.png?${q}`;
}

export const statusRank: Record<Status, number> = { detected: 0, possible: 1, ok: 2 };
