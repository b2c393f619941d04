import { useEffect, useRef } from 'preact/hooks';
import { APIError, getJSON, seriesPath, type Incident, type Series, type ServiceDetail } from '../api';
import { countryName, dateTime, dateTimeYearTZ, duration, num, pct, t, tzName, unitOf } from '../i18n';
import { symptomName } from '../names';
import { useIsPhone, usePoll } from '../hooks';
import { Chart, ChartLegend } from '../components/Chart';
import { NotFound } from './NotFound';
import { rememberNames, useServiceName } from './catalog';
import { iso, MAX_RANGE_DAYS, stepFor } from '../range';

const MINUTE = 60e3;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Padding of the chart window on each side of the incident: half its length, within these bounds. */
const MIN_PAD = 3 * HOUR;
const MAX_PAD = 7 * DAY;

const STEP_MS = { '15m': 15 * MINUTE, '1h': HOUR, '24h': DAY };

/**
 * incidentWindow is the range the incident's chart shows: from some hours
 * before its start to as long after its end (half its length, at least 3
 * hours, at most a week; rounded up to a whole bucket), or up to now while it
 * is open. The web's incidentWindow (services/web/internal/pages/incidentpage.go)
 * gives the page's og:image the same range.
 */
export function incidentWindow(inc: Incident, now = Date.now()): { from: string; to: string } {
  const start = Date.parse(inc.started_at);
  const ended = inc.status !== 'open' && inc.ended_at ? Date.parse(inc.ended_at) : NaN;
  const open = !Number.isFinite(ended);
  const end = open ? now : Math.min(ended, now);
  const pad = Math.min(Math.max((end - start) / 2, MIN_PAD), MAX_PAD);
  const nowS = Math.floor(now / 1000) * 1000;
  let from = Math.floor((start - pad) / MINUTE) * MINUTE;
  let to = nowS;
  if (!open && end + pad < nowS) {
    // Ended: up to the end of a bucket, so that the last one is whole.
    const step = STEP_MS[stepFor(iso(from), iso(end + pad))];
    to = Math.min(Math.ceil((end + pad) / step) * step, nowS);
  }
  // Daily buckets hold at most MAX_RANGE_DAYS: a longer incident shows its latest part.
  from = Math.max(from, to - (MAX_RANGE_DAYS - 1) * DAY);
  return { from: iso(from), to: iso(to) };
}

interface Data {
  inc: Incident;
  /** null while it could not be loaded; the next poll tries again. */
  series: Series | null;
}

/** IncidentPage: one incident's start, peak, end, duration, symptoms, countries and the chart of its window. */
export function IncidentPage({ id }: { id: string }) {
  const phone = useIsPhone();
  // The service's display name is asked for once; the lists fill it in when the reader comes from them.
  const askedName = useRef('');
  const { data, error } = usePoll<Data>(
    async (signal) => {
      const inc = await getJSON<Incident>(`/api/v1/incidents/${encodeURIComponent(id)}`, signal);
      const w = incidentWindow(inc);
      const enc = encodeURIComponent(inc.service);
      const [series] = await Promise.all([
        getJSON<Series>(seriesPath(inc.service, w.from, w.to), signal).catch((e) => {
          if (signal.aborted) throw e;
          return null;
        }),
        askedName.current === inc.service
          ? null
          : getJSON<ServiceDetail>(`/api/v1/services/${enc}`, signal)
              .then((s) => {
                askedName.current = inc.service;
                if (!signal.aborted) rememberNames([s]);
              })
              // A service gone from the catalog keeps its incidents: it is then named by its slug.
              .catch(() => {
                if (!signal.aborted) askedName.current = inc.service;
              }),
      ]);
      return { inc, series };
    },
    30_000,
    [id],
  );

  const inc = data?.inc;
  const known = useServiceName(inc?.service ?? '');
  const name = inc ? (known ?? inc.service) : undefined;
  const notFound = error instanceof APIError && error.status === 404;

  useEffect(() => {
    if (notFound) document.title = `${t.not_found} — Lapor`;
    else if (inc && name) document.title = `${t.incident_of(name)}, ${dateTimeYearTZ(inc.started_at)} — Lapor`;
  }, [inc, name, notFound, t]);

  if (notFound) return <NotFound text={t.not_found_incident} />;

  return (
    <>
      <p class="crumbs">
        <a href="/incidents">{t.all_incidents}</a>
      </p>
      {/* One h1 in one place, loading or not, so the focus that main.tsx
          gives it after a navigation stays when the data arrives. */}
      <div class="svc-head">
        {inc && name ? (
          <h1>{t.incident_of(name)}</h1>
        ) : (
          <h1 aria-busy="true">
            <span class="skeleton skeleton-text h1-skeleton" aria-hidden="true">
              &nbsp;
            </span>
            <span class="visually-hidden">{t.loading}</span>
          </h1>
        )}
        {inc ? <StatusBadge inc={inc} /> : <span class="badge skeleton skeleton-text" aria-hidden="true">&nbsp;</span>}
      </div>
      {inc && name ? (
        <Facts inc={inc} name={name} />
      ) : (
        <>
          {error ? (
            <p class="err-msg" role="alert">
              {t.load_error}
            </p>
          ) : null}
          <div class="skeleton facts-skeleton" aria-hidden="true" data-testid="incident-loading" />
        </>
      )}
      <section aria-labelledby="inc-chart-h" class="panel">
        <h2 id="inc-chart-h">{t.incident_chart}</h2>
        <p class="muted" data-testid="incident-chart-range">
          {unitOf(data?.series?.step)}.{' '}
          {data?.series ? t.incident_chart_range(dateTime(data.series.from), dateTime(data.series.to)) : '\u00a0'}
        </p>
        <div class={`chart-box ${phone ? 'chart-phone' : ''}`}>
          {data?.series ? <Chart series={data.series} height={phone ? 220 : 300} /> : <div class="skeleton chart-skeleton" />}
        </div>
        <ChartLegend step={data?.series?.step} />
        <p class="incident-range-link">
          {inc && data?.series ? (
            <a
              href={`/services/${encodeURIComponent(inc.service)}?${new URLSearchParams({ from: data.series.from, to: data.series.to })}`}
              data-testid="incident-range-link"
            >
              {t.open_range}
            </a>
          ) : (
            '\u00a0'
          )}
        </p>
      </section>
      {inc && <Breakdown inc={inc} />}
    </>
  );
}

/** statusOf: an open incident by its level; an ended one "resolved" in green, or
 * "ended" in grey when its reports stayed high (the problem may not be over). */
function statusOf(inc: Incident): { badge: string; text: string } {
  if (inc.status === 'open') return { badge: inc.level, text: t.ongoing };
  return inc.end_reason === 'new_normal' ? { badge: 'ended', text: t.ended } : { badge: 'ok', text: t.resolved };
}

function StatusBadge({ inc }: { inc: Incident }) {
  const s = statusOf(inc);
  return (
    <span class={`badge badge-${s.badge}`} data-testid="incident-badge">
      {s.text}
    </span>
  );
}

/** Facts: the loading state is neutral (grey shapes, no status words) until they arrive. */
function Facts({ inc, name }: { inc: Incident; name: string }) {
  const open = inc.status === 'open';
  const status = statusOf(inc).text;
  const level = inc.level === 'detected' ? t.level_detected : t.level_possible;
  const end = !open && inc.ended_at ? Date.parse(inc.ended_at) : Date.now();
  return (
    <>
      <p class="muted" data-testid="incident-tz">
        {t.times_in(tzName())}
      </p>
      <dl class="facts" data-testid="incident-facts" data-status={inc.status}>
        <div>
          <dt>{t.service}</dt>
          <dd>
            <a href={`/services/${encodeURIComponent(inc.service)}`} data-testid="incident-service">
              {name}
            </a>
          </dd>
        </div>
        <div>
          <dt>{t.level}</dt>
          <dd>{level}</dd>
        </div>
        <div>
          <dt>{t.status}</dt>
          <dd data-testid="incident-status">
            {status}
            {inc.end_reason ? <span class="end-reason">{t.end_reason[inc.end_reason]}</span> : null}
          </dd>
        </div>
        <div>
          <dt>{t.start}</dt>
          <dd data-testid="incident-start" data-time={inc.started_at}>
            {dateTimeYearTZ(inc.started_at)}
          </dd>
        </div>
        <div>
          <dt>{t.peak_label}</dt>
          <dd data-testid="incident-peak">{t.peak_value(num(inc.peak), dateTimeYearTZ(inc.peak_at))}</dd>
        </div>
        <div>
          <dt>{t.end}</dt>
          <dd data-testid="incident-end">{!open && inc.ended_at ? dateTimeYearTZ(inc.ended_at) : t.ongoing}</dd>
        </div>
        <div>
          <dt>{t.duration}</dt>
          <dd data-testid="incident-duration">
            {duration(end - Date.parse(inc.started_at))}
            {open ? ` (${t.so_far})` : ''}
          </dd>
        </div>
      </dl>
    </>
  );
}

function Breakdown({ inc }: { inc: Incident }) {
  return (
    <>
      <section aria-labelledby="inc-sym-h" class="panel">
        <h2 id="inc-sym-h">{t.most_reported}</h2>
        {inc.top_symptoms.length > 0 ? (
          <ul class="shares" data-testid="incident-symptoms">
            {inc.top_symptoms.map((s) => (
              <li key={s.symptom}>
                <span class="share-name">{symptomName(s.symptom)}</span>
                <span class="share-bar" aria-hidden="true">
                  <span style={{ width: `${Math.round(s.share * 100)}%` }} />
                </span>
                <span class="share-pct">{pct(s.share)}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">{t.no_symptoms}</p>
        )}
      </section>
      <section aria-labelledby="inc-ctry-h" class="panel">
        <h2 id="inc-ctry-h">{t.incident_countries}</h2>
        {inc.top_countries.length > 0 ? (
          <ul class="inline-list" data-testid="incident-countries">
            {inc.top_countries.map((c) => (
              <li key={c}>{countryName(c)}</li>
            ))}
          </ul>
        ) : (
          <p class="muted">{t.no_countries}</p>
        )}
      </section>
    </>
  );
}
