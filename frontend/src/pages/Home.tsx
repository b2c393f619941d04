import { useMemo, useState } from 'preact/hooks';
import { getJSON, statusRank, type ServiceList, type ServiceSummary, type Sparklines } from '../api';
import { countryName, num, t } from '../i18n';
import { navigate } from '../router';
import { isQuery, search } from '../search';
import { rememberNames } from './catalog';
import { categoryName } from '../names';
import { usePoll } from '../hooks';
import { FilterSelect } from '../components/FilterSelect';
import { Sparkline } from '../components/Sparkline';
import { StatusBadge, shownStatus } from '../components/StatusBadge';

interface HomeData {
  services: ServiceSummary[];
  spark: Sparklines | null;
}

async function load(signal: AbortSignal): Promise<HomeData> {
  const [s, spark] = await Promise.all([
    getJSON<ServiceList>('/api/v1/services', signal),
    // The sparklines are a nicety: the list still shows without them.
    getJSON<Sparklines>('/api/v1/sparklines?hours=24&step=1h', signal).catch(() => null),
  ]);
  rememberNames(s.services);
  return { services: s.services, spark };
}

/** Home lists the services with their status now, problems first. */
export function Home() {
  const { data, error } = usePoll(load, 30_000, []);
  const [q, setQ] = useState('');
  const [cat, setCat] = useState('');
  const [country, setCountry] = useState('');

  const services = data?.services ?? [];
  const cats = useMemo(() => [...new Set(services.map((s) => s.category))], [services]);
  const countries = useMemo(
    () =>
      [...new Set(services.flatMap((s) => s.countries).filter((c) => c !== '*'))].sort((a, b) =>
        countryName(a).localeCompare(countryName(b)),
      ),
    [services, t],
  );

  // With a query, the best matches first (see search.ts); without, problems first.
  const shown = useMemo(() => {
    const filtered = services
      .filter((s) => !cat || s.category === cat)
      .filter((s) => !country || s.countries.includes('*') || s.countries.includes(country));
    if (isQuery(q)) return search(q, filtered);
    return filtered.sort(
      (a, b) => statusRank[a.status] - statusRank[b.status] || b.reports_last_hour - a.reports_last_hour || a.name.localeCompare(b.name),
    );
  }, [services, q, cat, country]);

  // Enter in the search box opens the first hit.
  const openFirst = () => {
    const first = shown[0];
    if (!first || !isQuery(q)) return;
    navigate(`/services/${encodeURIComponent(first.slug)}`);
    window.scrollTo(0, 0);
  };

  return (
    <>
      <h1>{t.nav_home}</h1>
      <p class="lede">{t.tagline}</p>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          openFirst();
        }}
      >
        <div class="field field-grow">
          <label for="q">{t.search}</label>
          <input
            id="q"
            type="search"
            value={q}
            placeholder={t.search_hint}
            autocomplete="off"
            maxLength={100}
            aria-describedby="q-enter"
            onInput={(e) => setQ(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.isComposing) {
                e.preventDefault();
                openFirst();
              }
            }}
          />
          <span id="q-enter" class="visually-hidden">{t.search_enter}</span>
        </div>
        <FilterSelect id="cat" label={t.category} value={cat} onChange={setCat} sorted options={cats.map((c) => [c, categoryName(c)])} />
        <FilterSelect id="country" label={t.country} value={country} onChange={setCountry} options={countries.map((c) => [c, countryName(c)])} />
      </form>
      {error && !data ? <p class="err-msg" role="alert">{t.load_error}</p> : null}
      <p class="muted count" aria-live="polite">
        {data ? t.services_count(shown.length) : '\u00a0'}
      </p>
      {!data ? (
        <ul class="services" aria-busy="true">
          {Array.from({ length: 8 }, () => (
            <li class="card skeleton" />
          ))}
        </ul>
      ) : shown.length === 0 ? (
        <p>{t.no_match}</p>
      ) : (
        <ul class="services" data-testid="services">
          {shown.map((s) => {
            const sp = data.spark?.services[s.slug];
            const total = sp ? sp.reduce((a, b) => a + b, 0) : 0;
            return (
              <li class={`card card-${s.status}`} key={s.slug}>
                <a href={`/services/${encodeURIComponent(s.slug)}`} class="card-link">
                  <span class="card-name">{s.name}</span>
                  <span class="card-cat">{categoryName(s.category)}</span>
                </a>
                <StatusBadge status={shownStatus(s)} />
                <Sparkline
                  values={sp}
                  from={data.spark?.from}
                  step={data.spark?.step}
                  label={t.spark_label(s.name, num(total))}
                  alert={s.status !== 'ok'}
                />
                <span class="card-count">{t.last_hour(num(s.reports_last_hour))}</span>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
