import { useEffect, useRef, useState } from 'preact/hooks';
import { APIError, getJSON, postReport, recentPath, type Recent } from '../api';
import { countryName, num, retryWhen, t, time } from '../i18n';
import { symptomName } from '../names';

type State =
  | { k: 'idle' }
  | { k: 'pick' }
  | { k: 'sending'; symptom: string }
  | { k: 'done'; counted: boolean; network: boolean; retryAt?: string; commented: boolean }
  | { k: 'error'; message: string };

/** MAX_COMMENT is ingest's limit, in characters (code points, as ingest counts them). */
export const MAX_COMMENT = 280;
// Control characters other than newline and tab: ingest refuses a comment
// holding one, so they are dropped as they are typed or pasted.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** cleanComment drops control characters and cuts the text to MAX_COMMENT characters. */
export function cleanComment(v: string): string {
  const chars = [...v.replace(CONTROL, '')];
  return chars.length > MAX_COMMENT ? chars.slice(0, MAX_COMMENT).join('') : chars.join('');
}

/** notAlone says how many reported the service lately: "You're not alone: 312 people …, 41 from Indonesia." */
function notAlone(r: Recent, name: string): string {
  // Below two the reader may be the only one (their own report may or may
  // not be counted yet), so nothing is claimed about others.
  if (r.reporters < 2) return t.among_first(name);
  if (r.country) return t.not_alone_from(num(r.reporters), name, num(r.country.reporters), countryName(r.country.country));
  return t.not_alone(num(r.reporters), name);
}

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
  const [comment, setComment] = useState('');
  const [recent, setRecent] = useState<Recent | null>(null);
  const first = useRef<HTMLButtonElement>(null);
  const big = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (st.k === 'pick') first.current?.focus();
  }, [st.k]);

  const send = async (symptom: string) => {
    setSt({ k: 'sending', symptom });
    setRecent(null);
    const text = comment.trim();
    try {
      const r = await postReport(slug, symptom, text);
      setSt({ k: 'done', counted: r.counted, network: r.reason === 'network_cap', retryAt: r.retry_at, commented: text !== '' });
      if (r.counted) {
        setComment('');
        onReported();
      }
      // "Is it just me?": how many others reported lately, and from the
      // reader's country when ingest could tell it. Said only if it loads.
      getJSON<Recent>(recentPath(slug, r.country))
        .then(setRecent)
        .catch(() => setRecent(null));
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
          <div class="comment-field">
            <label for="report-comment">{t.comment_label}</label>
            <textarea
              id="report-comment"
              rows={2}
              value={comment}
              aria-describedby="report-comment-help report-comment-left"
              data-testid="report-comment"
              onInput={(e) => {
                const el = e.currentTarget;
                const v = cleanComment(el.value);
                if (v !== el.value) el.value = v;
                setComment(v);
              }}
            />
            <p id="report-comment-help" class="muted">{t.comment_help}</p>
            <p id="report-comment-left" class="muted comment-left">{t.comment_left(MAX_COMMENT - [...comment].length)}</p>
          </div>
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
            {st.commented ? ` ${st.counted ? t.comment_sent : t.comment_not_posted}` : ''}
          </p>
        )}
      </div>
      {/* Its own live region: it is said once it loads, after the confirmation. */}
      <div role="status" aria-live="polite" class="report-msg">
        {st.k === 'done' && recent && (
          <p class="info-msg" data-testid="not-alone">
            {notAlone(recent, name)}
          </p>
        )}
      </div>
      <div role="alert" class="report-err" data-testid="report-error">
        {st.k === 'error' && <p class="err-msg">{st.message}</p>}
      </div>
    </section>
  );
}
