import { useEffect, useRef, useState } from 'preact/hooks';
import {
  APIError,
  csvPath,
  getJSON,
  pngPath,
  seriesPath,
  type Countries,
  type Incident,
  type Series,
  type ServiceDetail,
} from '../api';
import { dateTime, dateTimeTZ, num, pct, t, time, tzName, unitOf } from '../i18n';
import { symptomName } from '../names';
import { usePoll } from '../hooks';
import { Chart, ChartLegend } from '../components/Chart';
import { OutageMap } from '../components/OutageMap';
import { ReportBox } from '../components/ReportBox';
import { StatusBadge, statusText } from '../components/StatusBadge';
import { NotFound } from './NotFound';
import { rememberNames, useServiceName } from './catalog';
import { lastBucket, parseRange, rangeTitle } from '../range';

interface Data {
  svc: ServiceDetail;
  series: Series;
  countries: Countries | null;
  past: Incident[] | null;
}

function useIsPhone(): boolean {
  const mq = matchMedia('(max-width: 600px)');
  const [m, setM] = useState(mq.matches);
  useEffect(() => {
    const f = () => setM(mq.matches);
    mq.addEventListener('change', f);
    return () => mq.removeEventListener('change', f);
  }, []);
  return m;
}

/** ServicePage: report a problem, the 24-hour chart, the status, the map, the history, the links. */
export function ServicePage({ slug, search }: { slug: string; search: URLSearchParams }) {
  const fromQ = search.get('from');
  const toQ = search.get('to');
  const phone = useIsPhone();

  const { data, error, refresh } = usePoll<Data>(
    async (signal) => {
      const r = parseRange(fromQ, toQ);
      const enc = encodeURIComponent(slug);
      const [svc, series, countries, past] = await Promise.all([
        // The name goes up at once, for the heading, while the rest loads.
        getJSON<ServiceDetail>(`/api/v1/services/${enc}`, signal).then((s) => {
          if (!signal.aborted) rememberNames([s]);
          return s;
        }),
        getJSON<Series>(seriesPath(slug, r.from, r.to), signal),
        getJSON<Countries>(`/api/v1/services/${enc}/countries?hours=6`, signal).catch(() => null),
        getJSON<{ incidents: Incident[] }>(`/api/v1/incidents?service=${enc}&limit=20`, signal)
          .then((x) => x.incidents)
          .catch(() => null),
      ]);
      return { svc, series, countries, past };
    },
    10_000,
    [slug, fromQ, toQ],
  );

  // After a report, look again now and twice more while the pipeline carries it.
  const timers = useRef<number[]>([]);
  useEffect(() => () => timers.current.forEach(clearTimeout), []);
  const afterReport = () => {
    refresh();
    timers.current.push(window.setTimeout(refresh, 3000), window.setTimeout(refresh, 8000));
  };

  // The display name from the catalog as soon as it is known; never the slug.
  const known = useServiceName(slug);
  const name = data?.svc.name ?? known;

  useEffect(() => {
    if (data) document.title = `${data.svc.name}: ${statusText(data.svc.status)} — Lapor`;
    else if (name) document.title = `${name} — Lapor`;
  }, [data, name, t]);

  if (error instanceof APIError && error.status === 404) return <NotFound text={t.not_found_service} />;

  const svc = data?.svc;
  const series = data?.series;
  const last = series?.points[series.points.length - 1];
  const lb = lastBucket(series);
  // No data and the last try failed: the status is unknown (and retrying), not "no problems".
  const failed = !data && !!error;

  return (
    <>
      <div class="svc-head">
        {name ? (
          <h1>{name}</h1>
        ) : (
          <h1 aria-busy="true">
            <span class="skeleton skeleton-text h1-skeleton" aria-hidden="true">&nbsp;</span>
            <span class="visually-hidden">{t.loading}</span>
          </h1>
        )}
        {svc ? (
          <StatusBadge status={svc.status} />
        ) : failed ? (
          <span class="badge badge-unknown">
            <span aria-hidden="true">? </span>
            {t.status_unknown}
          </span>
        ) : (
          <span class="badge skeleton skeleton-text" aria-hidden="true">&nbsp;</span>
        )}
      </div>

      {svc ? (
        <ReportBox slug={svc.slug} name={svc.name} indicators={svc.indicators} onReported={afterReport} />
      ) : (
        <div class="report"><div class="big-button skeleton" /></div>
      )}

      <Banner svc={svc} failed={failed} />

      <section aria-labelledby="chart-h" class="panel">
        <h2 id="chart-h">{fromQ || toQ ? `${t.chart_title_range}: ${rangeTitle(series)}` : t.chart_title}</h2>
        <p class="muted">
          {unitOf(series?.step)}. {t.times_in(tzName())}
        </p>
        <p class="latest">
          {t.latest}
          {lb.filling ? ` (${t.still_filling})` : lb.partial && series ? ` (${t.until(time(series.to))})` : ''}:{' '}
          <strong data-testid="latest-count" data-bucket={last?.t ?? ''} data-filling={lb.filling ? 'true' : 'false'}>
            {last ? num(last.reports) : '–'}
          </strong>{' '}
          <span class="muted">{lb.filling ? t.so_far : unitOf(series?.step)}</span>
        </p>
        <div class={`chart-box ${phone ? 'chart-phone' : ''}`}>
          {series ? <Chart series={series} height={phone ? 220 : 300} /> : <div class="skeleton chart-skeleton" />}
        </div>
        <ChartLegend step={series?.step} />
        <div class="chart-extras">
          {series && <DataTable series={series} />}
          {svc && series && <Share slug={slug} series={series} name={svc.name} />}
        </div>
      </section>

      <section aria-labelledby="map-h" class="panel">
        <h2 id="map-h">{t.map_title}</h2>
        <p class="muted">{t.map_unit}</p>
        <OutageMap countries={data ? data.countries?.countries ?? [] : null} />
      </section>

      <section aria-labelledby="past-h" class="panel">
        <h2 id="past-h">{t.past_incidents}</h2>
        <PastIncidents list={data?.past ?? null} />
      </section>
    </>
  );
}

function Banner({ svc, failed }: { svc: ServiceDetail | undefined; failed: boolean }) {
  if (!svc && failed) {
    return (
      <section class="banner banner-unknown" aria-label={t.status_now} data-testid="status-banner" data-status="unknown">
        <p class="banner-title">
          <strong>{t.status_unknown}</strong>
        </p>
        <p role="alert">{t.status_unknown_text}</p>
      </section>
    );
  }
  // Loading: a neutral shape with no status words, never the "no problems" green.
  if (!svc) return <div class="banner banner-loading skeleton" aria-hidden="true" data-testid="status-loading" />;
  const inc = svc.incident;
  const text = svc.status === 'detected' ? t.detected_text : svc.status === 'possible' ? t.possible_text : t.ok_text;
  return (
    <section class={`banner banner-${svc.status}`} aria-label={t.status_now} data-testid="status-banner" data-status={svc.status}>
      <p class="banner-title">
        <strong>{statusText(svc.status)}</strong>
        {svc.since ? ` — ${t.since(dateTimeTZ(svc.since))}` : ''}
      </p>
      <p>{text}</p>
      {inc && inc.status === 'open' && (
        <>
          <p>{t.peak(num(inc.peak), time(inc.peak_at))}</p>
          {inc.top_symptoms.length > 0 && (
            <>
              <h3 class="banner-sub">{t.most_reported}</h3>
              <ul class="shares">
                {inc.top_symptoms.map((s) => (
                  <li>
                    <span class="share-name">{symptomName(s.symptom)}</span>
                    <span class="share-bar" aria-hidden="true">
                      <span style={{ width: `${Math.round(s.share * 100)}%` }} />
                    </span>
                    <span class="share-pct">{pct(s.share)}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}

function DataTable({ series }: { series: Series }) {
  const [open, setOpen] = useState(false);
  return (
    <details class="table-details" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>{t.data_table}</summary>
      {open && (
        <div class="table-scroll">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">{t.time}</th>
                <th scope="col" class="num">{t.reports}</th>
                <th scope="col" class="num">{t.reporters}</th>
                <th scope="col" class="num">{t.usual}</th>
              </tr>
            </thead>
            <tbody>
              {[...series.points].reverse().map((p) => (
                <tr>
                  <th scope="row">{dateTime(p.t)}</th>
                  <td class="num">{num(p.reports)}</td>
                  <td class="num">{num(p.reporters)}</td>
                  <td class="num">
                    {num(p.baseline_low ?? p.baseline, 1)}–{num(p.baseline_high ?? p.baseline, 1)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}

function Share({ slug, series, name }: { slug: string; series: Series; name: string }) {
  const [msg, setMsg] = useState('');
  const q = new URLSearchParams({ from: series.from, to: series.to });
  const link = `${location.origin}/services/${encodeURIComponent(slug)}?${q}`;
  const embed = `<iframe src="${location.origin}/embed/services/${encodeURIComponent(slug)}?${q}" width="640" height="380" title="${name.replace(/[&"<>]/g, '')} — Lapor" loading="lazy"></iframe>`;
  const copy = async (text: string, id: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setMsg(t.copied);
    } catch {
      // No clipboard permission: select the text so the reader can copy it.
      const el = document.getElementById(id) as HTMLInputElement | null;
      el?.focus();
      el?.select();
    }
    setTimeout(() => setMsg(''), 4000);
  };
  return (
    <details class="share">
      <summary>{t.share}</summary>
      <div class="field">
        <label for="share-link">{t.stable_link}</label>
        <div class="copy-row">
          <input id="share-link" readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => copy(link, 'share-link')}>{t.copy}</button>
        </div>
      </div>
      <div class="field">
        <label for="share-embed">{t.embed}</label>
        <div class="copy-row">
          <input id="share-embed" readOnly value={embed} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => copy(embed, 'share-embed')}>{t.copy}</button>
        </div>
      </div>
      <p class="downloads">
        <a href={pngPath(slug, series.from, series.to)} target="_blank" rel="noopener">{t.png}</a>
        <a href={csvPath(slug, series.from, series.to)} download>{t.csv}</a>
      </p>
      <p role="status" aria-live="polite" class="muted">{msg}</p>
    </details>
  );
}

function PastIncidents({ list }: { list: Incident[] | null }) {
  if (!list) return <div class="skeleton table-skeleton" />;
  if (list.length === 0) return <p class="muted">{t.no_incidents}</p>;
  return (
    <div class="table-scroll">
      <table class="data">
        <thead>
          <tr>
            <th scope="col">{t.start}</th>
            <th scope="col">{t.end}</th>
            <th scope="col" class="num">{t.peak_col}</th>
            <th scope="col">{t.leading}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((i) => (
            <tr>
              <td>{dateTime(i.started_at)}</td>
              <td>
                {i.ended_at ? dateTime(i.ended_at) : t.ongoing}
                {i.end_reason ? <span class="end-reason">{t.end_reason[i.end_reason]}</span> : null}
              </td>
              <td class="num">{num(i.peak)}</td>
              <td>
                {i.top_symptoms[0] ? `${symptomName(i.top_symptoms[0].symptom)} (${pct(i.top_symptoms[0].share)})` : '–'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
