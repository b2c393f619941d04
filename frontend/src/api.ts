import { stepFor } from './range';
import type { components, operations } from './api.gen';
// Types and fetchers for the Lapor JSON API. The types are the ones
// generated from api/openapi.yaml into api.gen.ts (npm run gen:api): never
// write a response's shape by hand here, alias the schema's.

type Schemas = components['schemas'];

/** JSONOf is the JSON body of an operation's answer with this status. */
type JSONOf<Op extends keyof operations, Code extends keyof operations[Op]['responses']> =
  operations[Op]['responses'][Code] extends { content: { 'application/json': infer T } } ? T : never;

export type Status = Schemas['Status'];
export type Level = Schemas['Incident']['level'];
export type EndReason = NonNullable<Schemas['Incident']['end_reason']>;

/** A service with its status (GET /api/v1/services); elevated is set when no incident is open but the detector's latest judgement is over its alert threshold. */
export type ServiceSummary = Schemas['ServiceSummary'];
export type Elevated = Schemas['Elevated'];
/** GET /api/v1/services */
export type ServiceList = JSONOf<'listServices', 200>;
/** GET /api/v1/services/{slug}: the summary with the open incident and the last hour. */
export type ServiceDetail = Schemas['ServiceDetail'];

export type Incident = Schemas['Incident'];
/** GET /api/v1/incidents */
export type IncidentList = JSONOf<'listIncidents', 200>;

/** GET /api/v1/services/{slug}/series; final_until is null when the server cannot tell. */
export type Series = Schemas['Series'];
/** A bucket; expected and the thresholds are null where the detector judged nothing. */
export type SeriesPoint = Series['points'][number];

/** GET /api/v1/sparklines */
export type Sparklines = JSONOf<'getSparklines', 200>;

/** GET /api/v1/services/{slug}/countries */
export type Countries = JSONOf<'getServiceCountries', 200>;
/** A country's reports against its usual level; ratio is null when it has none (expected 0). */
export type CountryCount = Countries['countries'][number];

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
    // Every error is the API's Error; a proxy's or a crashed server's need not be.
    const body = (await res.json()) as Partial<Schemas['Error']> | null;
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

/** POST /api/v1/reports: what the page sends. */
export type ReportRequest = Schemas['ReportRequest'];
/** The answer to a counted report (202). */
type ReportCounted = JSONOf<'createReport', 202>;
/** The answer to a report that was not counted (200). */
type ReportRefused = JSONOf<'createReport', 200>;

/** ReportResult is either answer, checked: reason says why a report was not
 * counted (a repeat from this person, or their network, a carrier's shared
 * addresses or an office, already counted in full for this window);
 * retry_at, for a duplicate, when this person counts again (RFC 3339);
 * country, where ingest located this reader (ISO 3166-1 alpha-2), for "Is
 * it just me?", absent when unknown. */
export type ReportResult = Pick<ReportRefused, 'id' | 'reason' | 'retry_at' | 'country'> & { counted: boolean };

/** postReport sends one report, with an optional comment; it throws APIError for refusals. */
export async function postReport(service: string, symptom: string, comment = ''): Promise<ReportResult> {
  const req: ReportRequest = comment ? { service, symptom, comment, platform: 'web' } : { service, symptom, platform: 'web' };
  const res = await fetch('/api/v1/reports', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(req),
  });
  if (res.status !== 200 && res.status !== 202) throw await errorFrom(res);
  const body = (await res.json()) as ReportCounted | ReportRefused;
  const counted = res.status === 202 && body.counted !== false;
  // Only a refusal says why and until when; a counted answer has neither.
  const refused: Partial<ReportRefused> = body.counted === false ? body : {};
  const reason = counted ? undefined : refused.reason === 'network_cap' ? 'network_cap' : 'duplicate';
  // Only a well-formed time is passed on: the page prints it as a clock time.
  const retryAt = reason === 'duplicate' && refused.retry_at && Number.isFinite(Date.parse(refused.retry_at)) ? refused.retry_at : undefined;
  const country = typeof body.country === 'string' && /^[A-Z]{2}$/.test(body.country) ? body.country : undefined;
  return { counted, id: body.id ?? '', reason, retry_at: retryAt, country };
}

/** GET /api/v1/services/{slug}/comments */
export type CommentList = JSONOf<'getServiceComments', 200>;
/** A reader's comment on a report, identified by the report's id: plain text, never HTML. */
export type ReportComment = CommentList['comments'][number];

/** Recent is how many reported a service in the last 15 minutes, in all and (when asked for) from one country. */
export type Recent = JSONOf<'getServiceRecent', 200>;

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
