import { useEffect, useRef, useState } from 'preact/hooks';
import {
  APIError,
  csvPath,
  getJSON,
  pngPath,
  seriesPath,
  type Countries,
  type Incident,
  type IncidentList,
  type Series,
  type ServiceDetail,
} from '../api';
import { dateTime, dateTimeTZ, duration, lang, num, pct, t, time, tzName, unitOf } from '../i18n';
import { RangeControl } from '../components/RangeControl';
import { symptomName } from '../names';
import { useIsPhone, usePoll } from '../hooks';
import { Chart, ChartLegend } from '../components/Chart';
import { OutageMap } from '../components/OutageMap';
import { Breakdown } from '../components/Breakdown';
import { ReportBox } from '../components/ReportBox';
import { Comments } from '../components/Comments';
import { StatusBadge, shownStatus, statusText } from '../components/StatusBadge';
import { NotFound } from './NotFound';
import { rememberNames, useServiceName } from './catalog';
import { frozenRange, lastBucket, MAX_RANGE_DAYS, pageRange, rangeTitle, type Preset } from '../range';

interface Data {
  svc: ServiceDetail;
  /** null when the API refused the range (seriesError says why). */
  series: Series | null;
  seriesError: APIError | null;
  countries: Countries | null;
  past: Incident[] | null;
}

/** ServicePage: report a problem, the 24-hour chart, the status, the map, the history, the links. */
export function ServicePage({ slug, search }: { slug: string; search: URLSearchParams }) {
  const fromQ = search.get('from');
  const toQ = search.get('to');
  const rangeQ = search.get('range');
  const phone = useIsPhone();
  const range = pageRange(fromQ, toQ, rangeQ);
  // A range the API refused (400) is not asked for again: the link is wrong, not the network.
  const refused = useRef<{ key: string; err: APIError } | null>(null);

  const { data, error, refresh } = usePoll<Data>(
    async (signal) => {
      const r = pageRange(fromQ, toQ, rangeQ);
      const key = `${r.from}|${r.to}`;
      const enc = encodeURIComponent(slug);
      const [svc, series, countries, past] = await Promise.all([
        // The name goes up at once, for the heading, while the rest loads.
        getJSON<ServiceDetail>(`/api/v1/services/${enc}`, signal).then((s) => {
          if (!signal.aborted) rememberNames([s]);
          return s;
        }),
        refused.current?.key === key
          ? null
          : getJSON<Series>(seriesPath(slug, r.from, r.to), signal).catch((e) => {
              if (e instanceof APIError && e.status === 400) {
                refused.current = { key, err: e };
                return null;
              }
              throw e;
            }),
        getJSON<Countries>(`/api/v1/services/${enc}/countries?hours=6`, signal).catch(() => null),
        getJSON<IncidentList>(`/api/v1/incidents?service=${enc}&limit=20`, signal)
          .then((x) => x.incidents)
          .catch(() => null),
      ]);
      const seriesError = !series && refused.current?.key === key ? refused.current.err : null;
      return { svc, series, seriesError, countries, past };
    },
    10_000,
    [slug, fromQ, toQ, rangeQ],
  );

  // After a report, look again now and twice more while the pipeline carries it.
  const timers = useRef<number[]>([]);
  useEffect(() => () => timers.current.forEach(clearTimeout), []);
  // reportedAt tells the comments to look again too.
  const [reportedAt, setReportedAt] = useState(0);
  const afterReport = () => {
    refresh();
    setReportedAt(Date.now());
    timers.current.push(window.setTimeout(refresh, 3000), window.setTimeout(refresh, 8000));
  };

  // The display name from the catalog as soon as it is known; never the slug.
  const known = useServiceName(slug);
  const name = data?.svc.name ?? known;

  useEffect(() => {
    if (data) document.title = `${data.svc.name}: ${statusText(shownStatus(data.svc))} — Lapor`;
    else if (name) document.title = `${name} — Lapor`;
  }, [data, name, t]);

  if (error instanceof APIError && error.status === 404) return <NotFound text={t.not_found_service} />;

  const svc = data?.svc;
  const series = data?.series ?? undefined;
  const seriesError = data?.seriesError ?? null;
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
          <StatusBadge status={shownStatus(svc)} />
        ) : failed ? (
          <span class="badge badge-unknown">
            <span aria-hidden="true">? </span>
            {t.status_unknown}
          </span>
        ) : (
          <span class="badge skeleton skeleton-text" aria-hidden="true">&nbsp;</span>
        )}
      </div>

      {svc && <OfficialSite url={svc.url} status={svc.status_url} />}

      {svc ? (
        <ReportBox slug={svc.slug} name={svc.name} indicators={svc.indicators} onReported={afterReport} />
      ) : (
        <div class="report"><div class="big-button skeleton" /></div>
      )}

      <Banner svc={svc} failed={failed} />

      <section aria-labelledby="chart-h" class="panel">
        <h2 id="chart-h">{chartTitle(range.preset, series)}</h2>
        <RangeControl slug={slug} search={search} preset={range.preset} from={series?.from ?? range.from} to={series?.to ?? range.to} />
        <p class="muted">
          {unitOf(series?.step)}. {t.times_in(tzName())}
        </p>
        <p class="latest">
          {t.latest(series?.step)}
          {lb.filling ? ` (${t.still_filling})` : lb.partial && series ? ` (${t.until(time(series.to))})` : ''}:{' '}
          <strong data-testid="latest-count" data-bucket={last?.t ?? ''} data-filling={lb.filling ? 'true' : 'false'}>
            {last ? num(last.reports) : '–'}
          </strong>{' '}
          <span class="muted">{lb.filling ? t.so_far : unitOf(series?.step)}</span>
        </p>
        <div class={`chart-box ${phone ? 'chart-phone' : ''}`}>
          {seriesError ? (
            <div class="chart-error">
              <p role="alert" data-testid="range-error">
                {rangeErrorText(seriesError)}
              </p>
            </div>
          ) : series ? (
            <Chart series={series} height={phone ? 220 : 300} />
          ) : (
            <div class="skeleton chart-skeleton" />
          )}
        </div>
        <ChartLegend step={series?.step} />
        <div class="chart-extras">
          {series && <DataTable series={series} />}
          {svc && series && <Share slug={slug} series={series} name={svc.name} />}
        </div>
      </section>

      <section aria-labelledby="problems-h" class="panel">
        <h2 id="problems-h">{t.most_reported}</h2>
        <Breakdown symptoms={svc ? svc.last_hour.symptoms : null} indicators={svc?.indicators ?? []} />
      </section>

      <section aria-labelledby="map-h" class="panel">
        <h2 id="map-h">{t.map_title}</h2>
        <p class="muted">{t.map_unit}</p>
        <OutageMap countries={data ? data.countries?.countries ?? [] : null} usualDays={data?.countries?.usual_days} />
      </section>

      <Comments slug={slug} reportedAt={reportedAt} />

      <section aria-labelledby="past-h" class="panel">
        <h2 id="past-h">{t.past_incidents}</h2>
        <PastIncidents list={data?.past ?? null} />
        <p class="muted feeds">
          {t.feeds}{' '}
          <a href={`/v1/services/${encodeURIComponent(slug)}/feeds/incidents.atom`}>Atom</a>
          {' · '}
          <a href={`/v1/services/${encodeURIComponent(slug)}/feeds/incidents.rss`}>RSS</a>
        </p>
      </section>
    </>
  );
}

/** OfficialSite links the service's own site from the catalog: a plain
 * link, not an endorsement, so nofollow; only http(s), never a script URL. */
function OfficialSite({ url, status }: { url: string; status?: string }) {
  const u = webURL(url);
  const s = status ? webURL(status) : null;
  if (!u && !s) return null;
  return (
    <p class="svc-links muted">
      {u && (
        <>
          {t.official_site}:{' '}
          <a href={u.href} rel="noopener nofollow" data-testid="official-site">
            {u.hostname.replace(/^www\./, '')}
          </a>
        </>
      )}
      {u && s ? ' · ' : null}
      {s && (
        <>
          {t.status_page}:{' '}
          <a href={s.href} rel="noopener nofollow" data-testid="status-page">
            {s.hostname.replace(/^www\./, '')}
          </a>
        </>
      )}
    </p>
  );
}

/** webURL parses an http(s) address, or gives null for anything else. */
function webURL(raw: string): URL | null {
  try {
    const u = new URL(raw);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u : null;
  } catch {
    return null;
  }
}

function chartTitle(preset: Preset | null, series: Series | undefined): string {
  if (preset === '24h') return t.chart_title;
  if (preset === '48h') return t.chart_title_48h;
  if (preset === '7d') return t.chart_title_7d;
  if (preset === '30d') return t.chart_title_30d;
  const r = rangeTitle(series);
  return r ? `${t.chart_title_range}: ${r}` : t.chart_title_range;
}

/** rangeErrorText says in words why the API refused a range, with the longest range allowed. */
function rangeErrorText(e: APIError): string {
  if (e.code === 'range_too_large') return t.range_too_large(t.range_max(num(MAX_RANGE_DAYS)));
  if ((e.field === 'from' || e.field === 'to') && /before/.test(e.message)) return t.range_order;
  if (e.field === 'from' || e.field === 'to') return t.range_bad_date;
  return t.range_refused(e.message);
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
  // The status agrees with the numbers: no green "no problems" while the
  // detector's latest judgement is over its alert threshold.
  const shown = shownStatus(svc);
  const el = svc.elevated;
  const text =
    shown === 'detected'
      ? t.detected_text
      : shown === 'possible'
        ? t.possible_text
        : el
          ? t.elevated_text(num(el.reports), num(el.expected, 1), el.minutes)
          : t.ok_text;
  return (
    <section class={`banner banner-${shown}`} aria-label={t.status_now} data-testid="status-banner" data-status={shown}>
      <p class="banner-title">
        <strong>{statusText(shown)}</strong>
        {svc.since ? ` — ${t.since(dateTimeTZ(svc.since))}` : ''}
      </p>
      <p>{text}</p>
      {inc && inc.status === 'open' && (
        <>
          <p>{t.peak(num(inc.peak), time(inc.peak_at))}</p>
          <p>
            <a href={`/incidents/${encodeURIComponent(inc.id)}`} data-testid="incident-link">
              {t.incident_details}
            </a>
          </p>
          {/* What is reported most is the "Most reported problems" panel's, shown whatever the status. */}
        </>
      )}
    </section>
  );
}

/** DEDUPE_WINDOW is ingest's: a connection counts once per service in it. */
const DEDUPE_WINDOW = 900;

function DataTable({ series }: { series: Series }) {
  const [open, setOpen] = useState(false);
  // In buckets no longer than the dedupe window every reporter counts at
  // most once, so reporters always equal reports there: one column, said so.
  const both = series.step > DEDUPE_WINDOW;
  return (
    <details class="table-details" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>{t.data_table}</summary>
      {open && (
        <div class="table-scroll">
          <table class="data" data-testid="data-table">
            {!both && <caption class="muted">{t.reporters_same}</caption>}
            <thead>
              <tr>
                <th scope="col">{t.time}</th>
                <th scope="col" class="num">{t.reports}</th>
                {both && <th scope="col" class="num">{t.reporters}</th>}
                <th scope="col" class="num">{t.median}</th>
                <th scope="col" class="num">{t.threshold_possible}</th>
              </tr>
            </thead>
            <tbody>
              {[...series.points].reverse().map((p) => (
                <tr>
                  <th scope="row">{dateTime(p.t)}</th>
                  <td class="num">{num(p.reports)}</td>
                  {both && <td class="num">{num(p.reporters)}</td>}
                  <td class="num">{p.expected == null ? '–' : num(p.expected, 1)}</td>
                  <td class="num">{p.threshold_possible == null ? '–' : num(p.threshold_possible)}</td>
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
  const [follow, setFollow] = useState(false);
  const frozen = frozenRange(series);
  const q = new URLSearchParams({ from: frozen.from, to: frozen.to });
  const link = `${location.origin}/services/${encodeURIComponent(slug)}?${q}`;
  // An embed either follows now (the latest 24 hours, refreshed) or keeps the frozen range.
  const embedQuery = follow ? new URLSearchParams({ range: '24h' }) : q;
  const embed = `<iframe src="${location.origin}/embed/services/${encodeURIComponent(slug)}?${embedQuery}" width="640" height="380" title="${name.replace(/[&"<>]/g, '')} — Lapor" loading="lazy"></iframe>`;
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
        <p class="muted" data-testid="frozen-note" data-to={frozen.to}>
          {frozen.final ? t.frozen_note(dateTimeTZ(frozen.to)) : t.frozen_none}
        </p>
      </div>
      <fieldset class="embed-mode">
        <legend class="visually-hidden">{t.embed}</legend>
        <label>
          <input type="radio" name="embed-mode" checked={!follow} onChange={() => setFollow(false)} /> {t.embed_freeze}
        </label>
        <label>
          <input type="radio" name="embed-mode" checked={follow} onChange={() => setFollow(true)} /> {t.embed_follow}
        </label>
      </fieldset>
      <div class="field">
        <label for="share-embed">{t.embed}</label>
        <div class="copy-row">
          <input id="share-embed" readOnly value={embed} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => copy(embed, 'share-embed')}>{t.copy}</button>
        </div>
      </div>
      <p class="downloads">
        <a href={pngPath(slug, series.from, series.to, lang, tzName())} target="_blank" rel="noopener">{t.png}</a>
        <a href={csvPath(slug, series.from, series.to)} download>{t.csv}</a>
      </p>
      <p role="status" aria-live="polite" class="muted">{msg}</p>
    </details>
  );
}

function PastIncidents({ list: all }: { list: Incident[] | null }) {
  if (!all) return <div class="skeleton table-skeleton" />;
  // The ongoing incident is the banner's; this table is the past.
  const list = all.filter((i) => i.status !== 'open');
  if (list.length === 0) return <p class="muted">{t.no_incidents}</p>;
  return (
    <div class="table-scroll">
      <table class="data">
        <caption class="muted">{t.times_in(tzName())}</caption>
        <thead>
          <tr>
            <th scope="col">{t.start}</th>
            <th scope="col">{t.end}</th>
            <th scope="col" class="num">{t.duration}</th>
            <th scope="col" class="num">{t.peak_col}</th>
            <th scope="col">{t.leading}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((i) => (
            <tr>
              <td>
                <a href={`/incidents/${encodeURIComponent(i.id)}`}>{dateTime(i.started_at)}</a>
              </td>
              <td>
                {i.ended_at ? dateTime(i.ended_at) : t.ongoing}
                {i.end_reason ? <span class="end-reason">{t.end_reason[i.end_reason]}</span> : null}
              </td>
              <td class="num">{i.ended_at ? duration(Date.parse(i.ended_at) - Date.parse(i.started_at)) : '–'}</td>
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
