import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import './styles.css';
import { lang, setLang, t, type Lang } from './i18n';
import { useLangVersion } from './hooks';
import { onLinkClick, useLocation } from './router';
import { Home } from './pages/Home';
import { ServicePage } from './pages/Service';
import { IncidentsPage } from './pages/Incidents';
import { IncidentPage } from './pages/Incident';
import { NotFound } from './pages/NotFound';

function Page({ url }: { url: URL }) {
  const p = url.pathname;
  if (p === '/') return <Home />;
  if (p === '/incidents') return <IncidentsPage />;
  const inc = /^\/incidents\/([^/]+)\/?$/.exec(p);
  if (inc) {
    let id = '';
    try {
      id = decodeURIComponent(inc[1]);
    } catch {
      return <NotFound />;
    }
    return <IncidentPage key={id} id={id} />;
  }
  const m = /^\/services\/([^/]+)\/?$/.exec(p);
  if (m) {
    let slug = '';
    try {
      slug = decodeURIComponent(m[1]);
    } catch {
      return <NotFound />;
    }
    return <ServicePage key={slug} slug={slug} search={url.searchParams} />;
  }
  return <NotFound />;
}

function App() {
  useLangVersion();
  const url = useLocation();
  const p = url.pathname;
  useEffect(() => {
    if (p === '/') document.title = `Lapor — ${t.nav_home}`;
    else if (p === '/incidents') document.title = `${t.nav_incidents} — Lapor`;
  }, [p, t]);
  // After an in-app navigation, focus the new page's heading so screen
  // readers announce it (not on the first load: the reader starts at the top).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const h = document.querySelector<HTMLElement>('main h1');
    if (h) {
      h.setAttribute('tabindex', '-1');
      h.focus({ preventScroll: true });
    }
  }, [p]);
  return (
    <div onClick={onLinkClick as unknown as (e: MouseEvent) => void}>
      <a class="skip" href="#main">
        {t.skip}
      </a>
      <header class="top">
        <a href="/" class="brand" aria-label="Lapor">
          lapor
        </a>
        <nav aria-label="Lapor">
          <a href="/" aria-current={p === '/' ? 'page' : undefined}>
            {t.nav_home}
          </a>
          <a href="/incidents" aria-current={p === '/incidents' ? 'page' : undefined}>
            {t.nav_incidents}
          </a>
        </nav>
        <label class="lang">
          <span class="visually-hidden">{t.language}</span>
          <select id="lang" value={lang} onChange={(e) => setLang(e.currentTarget.value as Lang)}>
            <option value="en" lang="en">English</option>
            <option value="id" lang="id">Bahasa Indonesia</option>
          </select>
        </label>
      </header>
      <main id="main">
        <Page url={url} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
