import { useEffect, useRef, useState } from 'preact/hooks';
import { APIError, postReport } from '../api';
import { retryWhen, t, time } from '../i18n';
import { symptomName } from '../names';

type State =
  | { k: 'idle' }
  | { k: 'pick' }
  | { k: 'sending'; symptom: string }
  | { k: 'done'; counted: boolean; network: boolean; retryAt?: string }
  | { k: 'error'; message: string };

function explain(e: unknown): string {
  if (!(e instanceof APIError)) return t.network_error;
  switch (e.status) {
    case 429:
      return t.rate_limited(retryWhen(e.retryAfter));
    case 503:
      return t.unavailable(retryWhen(e.retryAfter ?? 30));
    case 404:
      return t.unknown_service;
    case 400:
    case 413:
    case 415:
    case 422:
      return t.invalid(e.message);
    default:
      return t.network_error;
  }
}

/**
 * ReportBox is the one-click report: the big button opens the service's
 * symptoms, one more click posts the report, and the answer is announced.
 */
export function ReportBox({ slug, name, indicators, onReported }: {
  slug: string;
  name: string;
  indicators: string[];
  onReported: () => void;
}) {
  const [st, setSt] = useState<State>({ k: 'idle' });
  const first = useRef<HTMLButtonElement>(null);
  const big = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (st.k === 'pick') first.current?.focus();
  }, [st.k]);

  const send = async (symptom: string) => {
    setSt({ k: 'sending', symptom });
    try {
      const r = await postReport(slug, symptom);
      setSt({ k: 'done', counted: r.counted, network: r.reason === 'network_cap', retryAt: r.retry_at });
      if (r.counted) onReported();
    } catch (e) {
      setSt({ k: 'error', message: explain(e) });
    }
  };

  return (
    <section class="report" aria-labelledby="report-h">
      <h2 id="report-h" class="visually-hidden">
        {t.problem_with(name)}
      </h2>
      {st.k !== 'pick' && (
        <button
          ref={big}
          type="button"
          class="big-button"
          aria-expanded="false"
          disabled={st.k === 'sending'}
          onClick={() => setSt({ k: 'pick' })}
        >
          {t.problem_with(name)}
        </button>
      )}
      {st.k === 'pick' && (
        <fieldset class="symptoms">
          <legend>{t.pick_symptom}</legend>
          <div class="symptom-grid">
            {indicators.map((s, i) => (
              <button type="button" class="symptom" ref={i === 0 ? first : undefined} onClick={() => send(s)}>
                {symptomName(s)}
              </button>
            ))}
          </div>
          <button type="button" class="link-button" onClick={() => setSt({ k: 'idle' })}>
            {t.cancel}
          </button>
        </fieldset>
      )}
      <div role="status" aria-live="polite" class="report-msg" data-testid="report-status">
        {st.k === 'sending' && <p>{t.sending}</p>}
        {st.k === 'done' && (
          <p class={st.counted ? 'ok-msg' : 'info-msg'} data-retry-at={st.retryAt}>
            {st.counted
              ? t.thanks
              : st.network
                ? t.networkCounted
                : st.retryAt
                  ? t.already_until(time(st.retryAt))
                  : t.already}
          </p>
        )}
      </div>
      <div role="alert" class="report-err" data-testid="report-error">
        {st.k === 'error' && <p class="err-msg">{st.message}</p>}
      </div>
    </section>
  );
}
