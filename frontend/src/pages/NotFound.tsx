import { t } from '../i18n';

export function NotFound({ text }: { text?: string }) {
  return (
    <>
      <h1>{t.not_found}</h1>
      {text && <p>{text}</p>}
      <p>
        <a href="/">{t.back_home}</a>
      </p>
    </>
  );
}
