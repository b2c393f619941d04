import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import './styles.css';
import { getJSON, seriesPath, type Series, type ServiceSummary } from './api';
import { num, t, time, tzName, unitOf } from './i18n';
import { usePoll } from './hooks';
import { Chart, ChartLegend } from './components/Chart';
import { lastBucket, pageRange, rangeTitle } from './range';

/** Embed is the chart alone, for an iframe in an article. */
function Embed() {
  const slug = decodeURIComponent(location.pathname.split('/')[3] ?? '');
  const sp = new URLSearchParams(location.search);
  const fromQ = sp.get('from');
  const toQ = sp.get('to');
  // range= (a preset such as 24h) follows now; from/to keep a frozen range.
  const rangeQ = sp.get('range');
  const { data, error } = usePoll(
    async (signal) => {
      const r = pageRange(fromQ, toQ, rangeQ);
      const [svc, series] = await Promise.all([
        getJSON<ServiceSummary>(`/api/v1/services/${encodeURIComponent(slug)}`, signal),
        getJSON<Series>(seriesPath(slug, r.from, r.to), signal),
      ]);
      return { svc, series };
    },
    // A fixed range never changes; a live one follows now.
    toQ ? 3_600_000 : 30_000,
    [],
  );
  useEffect(() => {
    if (data) document.title = `${data.svc.name} — Lapor`;
  }, [data]);
  const back = `/services/${encodeURIComponent(slug)}${location.search}`;
  const last = data?.series.points[data.series.points.length - 1];
  const lb = lastBucket(data?.series);
  const note = lb.filling ? ` (${t.still_filling})` : lb.partial && data ? ` (${t.until(time(data.series.to))})` : '';
  return (
    <div class="embed-box">
      <h1 class="embed-title">
        {data?.svc.name ?? slug} <span class="muted">— {unitOf(data?.series.step)}</span>
      </h1>
      <p class="muted embed-sub">
        {data ? rangeTitle(data.series) : '\u00a0'} · {tzName()}
        {last ? (
          <span data-testid="latest-embed" data-filling={lb.filling ? 'true' : 'false'}>
            {` · ${t.latest(data?.series.step)}${note}: ${num(last.reports)}${lb.filling ? ` ${t.so_far}` : ''}`}
          </span>
        ) : (
          ''
        )}
      </p>
      <div class="chart-box chart-embed">
        {data ? <Chart series={data.series} height={230} /> : <div class="skeleton chart-skeleton" />}
      </div>
      {error && !data ? <p class="err-msg" role="alert">{t.load_error}</p> : null}
      <div class="embed-foot">
        <ChartLegend step={data?.series.step} />
        <a href={back} target="_blank" rel="noopener" class="brand-small">
          {t.view_on}
        </a>
      </div>
    </div>
  );
}

render(<Embed />, document.getElementById('app')!);
