import { useEffect } from 'preact/hooks';
import { commentsPath, getJSON, type CommentList } from '../api';
import { countryName, dateTimeTZ, locale, t } from '../i18n';
import { usePoll } from '../hooks';
import { symptomName } from '../names';

/** ago says how long ago `iso` was, in words of the reader's language ("5 minutes ago", "5 menit yang lalu"). */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.round((Date.parse(iso) - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const a = Math.abs(s);
  // A report from a second in the future (clock skew) is "now", not "in 1 second".
  if (a < 45 || s > 0) return rtf.format(0, 'second');
  if (a < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (a < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86400), 'day');
}

/**
 * Comments lists what readers wrote with their reports, newest first. The
 * text is rendered as text (Preact escapes it), isolated for its own
 * direction, and wrapped so a long word cannot widen the page. After the
 * reader reports (`reportedAt` changes) it looks again while the pipeline
 * carries their comment.
 */
export function Comments({ slug, reportedAt }: { slug: string; reportedAt: number }) {
  const { data, error, refresh } = usePoll<CommentList>((signal) => getJSON<CommentList>(commentsPath(slug), signal), 15_000, [slug]);

  useEffect(() => {
    if (!reportedAt) return;
    refresh();
    const timers = [window.setTimeout(refresh, 3000), window.setTimeout(refresh, 8000)];
    return () => timers.forEach(clearTimeout);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [reportedAt]);

  const list = data?.comments;
  return (
    <section aria-labelledby="comments-h" class="panel" data-testid="comments">
      <h2 id="comments-h">{t.comments_title}</h2>
      <p class="muted">{t.comments_note}</p>
      {!list ? (
        error ? (
          <p role="status">{t.comments_error}</p>
        ) : (
          <div class="skeleton comments-skeleton" />
        )
      ) : list.length === 0 ? (
        <p class="muted" data-testid="comments-none">{t.comments_none}</p>
      ) : (
        <ol class="comments">
          {list.map((c) => (
            <li key={c.id} class="comment" data-id={c.id}>
              <p class="comment-text" dir="auto">
                {c.text}
              </p>
              <p class="comment-meta">
                <time dateTime={c.time} title={dateTimeTZ(c.time)}>
                  {ago(c.time)}
                </time>
                {' · '}
                {symptomName(c.symptom)}
                {c.country ? ` · ${countryName(c.country)}` : ''}
              </p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
