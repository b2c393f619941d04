import { useEffect, useState } from 'preact/hooks';

// The services' display names as far as this page has seen them (the home
// and incidents lists, a service's own answer), so a service page can show
// the name while its data is still on the way, never the slug.

const names = new Map<string, string>();
const listeners = new Set<() => void>();

/** rememberNames records display names; pages showing them re-render. */
export function rememberNames(list: readonly { slug: string; name: string }[]) {
  let changed = false;
  for (const s of list) {
    if (names.get(s.slug) !== s.name) {
      names.set(s.slug, s.name);
      changed = true;
    }
  }
  if (changed) listeners.forEach((f) => f());
}

/** useServiceName is the display name of `slug` once known, else undefined. */
export function useServiceName(slug: string): string | undefined {
  const [, setN] = useState(0);
  useEffect(() => {
    const f = () => setN((n) => n + 1);
    listeners.add(f);
    return () => {
      listeners.delete(f);
    };
  }, []);
  return names.get(slug);
}
