import { useMemo, useState } from 'preact/hooks';
import { getJSON, type Incident, type IncidentList, type ServiceList, type ServiceSummary } from '../api';
import { dateTime, duration, num, pct, t, tzName } from '../i18n';
import { categoryName, symptomName } from '../names';
import { usePoll } from '../hooks';
import { FilterSelect } from '../components/FilterSelect';
import { isQuery, matchTier, NONE } from '../search';
import { rememberNames } from './catalog';

interface Data {
  incidents: Incident[];
  services: ServiceSummary[];
}

/** IncidentsPage lists recent and ongoing incidents, newest first, with filters. */
export function IncidentsPage() {
  const [status, setStatus] = useState('');
  const [level, setLevel] = useState('');
  const [cat, setCat] = useState('');
  const [q, setQ] = useState('');

  const { data, error } = usePoll<Data>(
    async (signal) => {
      const p = new URLSearchParams({ limit: '200' });
      if (status) p.set('status', status);
      if (level) p.set('level', level);
      if (cat) p.set('category', cat);
      const [inc, svc] = await Promise.all([
        getJSON<IncidentList>(`/api/v1/incidents?${p}`, signal),
        getJSON<ServiceList>('/api/v1/services', signal),
      ]);
      rememberNames(svc.services);
      return { incidents: inc.incidents, services: svc.services };
    },
    30_000,
    [status, level, cat],
  );

  const bySlug = useMemo(() => new Map((data?.services ?? []).map((s) => [s.slug, s])), [data]);
  const cats = useMemo(() => [...new Set((data?.services ?? []).map((s) => s.category))], [data]);
  const shown = useMemo(() => {
    const any = !isQuery(q);
    return (data?.incidents ?? [])
      .filter((i) => {
        if (any) return true;
        const s = bySlug.get(i.service);
        return matchTier(q, { slug: i.service, name: s?.name ?? '', aliases: s?.aliases ?? [] }) !== NONE;
      })
      .sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at));
  }, [data, q, bySlug]);

  return (
    <>
      <h1>{t.incidents_title}</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field field-grow">
          <label for="iq">{t.search_service}</label>
          <input id="iq" type="search" value={q} autocomplete="off" maxLength={100} onInput={(e) => setQ(e.currentTarget.value)} />
        </div>
        <FilterSelect id="ist" label={t.status} value={status} onChange={setStatus} options={[['open', t.ongoing], ['resolved', t.resolved]]} />
        <FilterSelect id="ilv" label={t.level} value={level} onChange={setLevel} options={[['detected', t.level_detected], ['possible', t.level_possible]]} />
        <FilterSelect id="icat" label={t.category} value={cat} onChange={setCat} sorted options={cats.map((c) => [c, categoryName(c)])} />
      </form>
      {error && !data ? <p class="err-msg" role="alert">{t.load_error}</p> : null}
      <p class="muted count" aria-live="polite">{data ? t.incidents_count(shown.length) : '\u00a0'}</p>
      <p class="muted" data-testid="incidents-tz">{t.times_in(tzName())}</p>
      <p class="muted feeds">
        {t.feeds} <a href="/v1/feeds/incidents.atom">Atom</a> · <a href="/v1/feeds/incidents.rss">RSS</a>
      </p>
      {!data ? (
        <ul class="incidents" aria-busy="true">
          {Array.from({ length: 5 }, () => (
            <li class="incident skeleton" />
          ))}
        </ul>
      ) : shown.length === 0 ? (
        <p>{t.no_incidents}</p>
      ) : (
        <ul class="incidents" data-testid="incidents">
          {shown.map((i) => {
            const s = bySlug.get(i.service);
            const top = i.top_symptoms[0];
            // Ended because its reports stayed high: not "resolved" in green.
            const stillHigh = i.end_reason === 'new_normal';
            const open = i.status === 'open';
            const end = !open && i.ended_at ? Date.parse(i.ended_at) : Date.now();
            return (
              <li class={`incident incident-${i.status === 'open' ? i.level : 'resolved'}`} key={i.id} data-id={i.id} data-service={i.service} data-status={i.status}>
                <a href={`/services/${encodeURIComponent(i.service)}`} class="incident-name">
                  {s?.name ?? i.service}
                </a>
                <span class={`badge badge-${i.status === 'open' ? i.level : stillHigh ? 'ended' : 'ok'}`}>
                  {i.status === 'open' ? (i.level === 'detected' ? t.level_detected : t.level_possible) : stillHigh ? t.ended : t.resolved}
                </span>
                <span class="incident-time">
                  {/* The times lead to the incident's own page; the name, to the service's. */}
                  <a href={`/incidents/${encodeURIComponent(i.id)}`} data-testid="incident-link">
                    {dateTime(i.started_at)} – {i.ended_at ? dateTime(i.ended_at) : t.ongoing}
                  </a>
                  {` · ${t.duration}: ${duration(end - Date.parse(i.started_at))}${open ? ` (${t.so_far})` : ''}`}
                  {i.end_reason ? ` · ${t.end_reason[i.end_reason]}` : ''}
                </span>
                <span class="incident-meta">
                  {t.peak_col}: {num(i.peak)}
                  {top ? ` · ${t.leading}: ${symptomName(top.symptom)} (${pct(top.share)})` : ''}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
