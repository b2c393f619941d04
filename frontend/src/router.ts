import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

/** navigate moves within the app without a reload. */
export function navigate(href: string, replace = false) {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  listeners.forEach((f) => f());
}

addEventListener('popstate', () => listeners.forEach((f) => f()));

/** useLocation re-renders on navigation and returns the current URL. */
export function useLocation(): URL {
  const [, setN] = useState(0);
  useEffect(() => {
    const f = () => setN((n) => n + 1);
    listeners.add(f);
    return () => listeners.delete(f);
  }, []);
  return new URL(location.href);
}

/** onLinkClick turns clicks on same-origin links into app navigation. */
export function onLinkClick(e: MouseEvent) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element).closest?.('a');
  if (!a || a.target || a.hasAttribute('download')) return;
  const u = new URL(a.href, location.href);
  if (u.origin !== location.origin) return;
  if (!/^\/($|services\/[^/]+$|incidents(\/[^/]+)?$)/.test(u.pathname)) return;
  e.preventDefault();
  navigate(u.pathname + u.search);
  window.scrollTo(0, 0);
}
