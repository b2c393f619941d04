import { useEffect, useRef, useState } from 'preact/hooks';
import { APIError } from './api';
import { onLangChange } from './i18n';

/** useLangVersion re-renders the caller when the language changes. */
export function useLangVersion(): number {
  const [v, setV] = useState(0);
  useEffect(() => onLangChange(() => setV((x) => x + 1)), []);
  return v;
}

export interface Polled<T> {
  data: T | null;
  error: unknown;
  /** refresh fetches now (e.g. right after a report). */
  refresh: () => void;
}

/**
 * retryable tells whether a failed load is worth trying again: network
 * errors, 5xx, 408 and 429 are; any other 4xx (a bad range, an unknown
 * service) will fail the same way every time.
 */
export function retryable(e: unknown): boolean {
  if (!(e instanceof APIError)) return true;
  return e.status >= 500 || e.status === 408 || e.status === 429;
}

/**
 * usePoll loads with `load` now and every `ms` while the tab is visible, and at
 * once when the tab becomes visible again. Old data stays shown while a new
 * answer is on its way, so nothing jumps; a failure keeps the last data.
 * A failure that is not retryable (a 4xx) stops the polling until refresh
 * or new deps.
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, ms: number, deps: unknown[]): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const tick = useRef<() => void>(() => {});

  useEffect(() => {
    let ctl: AbortController | null = null;
    let timer = 0;
    let stopped = false;
    let gaveUp = false;
    const run = () => {
      if (stopped) return;
      gaveUp = false;
      clearTimeout(timer);
      ctl?.abort();
      const c = new AbortController();
      ctl = c;
      load(c.signal)
        .then((d) => {
          if (c.signal.aborted) return;
          setData(d);
          setError(null);
        })
        .catch((e) => {
          if (c.signal.aborted) return;
          setError(e);
          gaveUp = !retryable(e);
        })
        .finally(() => {
          if (c.signal.aborted || stopped || gaveUp) return;
          timer = window.setTimeout(() => {
            if (document.visibilityState !== 'hidden') run();
          }, ms);
        });
    };
    const onVis = () => {
      if (document.visibilityState === 'visible' && !gaveUp) run();
    };
    tick.current = run;
    setData(null);
    run();
    document.addEventListener('visibilitychange', onVis);
    return () => {
      stopped = true;
      clearTimeout(timer);
      ctl?.abort();
      document.removeEventListener('visibilitychange', onVis);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  return { data, error, refresh: () => tick.current() };
}

/** useIsPhone follows whether the viewport is phone-sized (600 px wide or less). */
export function useIsPhone(): boolean {
  const mq = matchMedia('(max-width: 600px)');
  const [m, setM] = useState(mq.matches);
  useEffect(() => {
    const f = () => setM(mq.matches);
    mq.addEventListener('change', f);
    return () => mq.removeEventListener('change', f);
  }, []);
  return m;
}
