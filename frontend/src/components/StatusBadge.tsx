import type { Status } from '../api';
import { t } from '../i18n';

export function statusText(s: Status): string {
  return s === 'detected' ? t.status_detected : s === 'possible' ? t.status_possible : t.status_ok;
}

/** StatusBadge shows the status in words, with a shape so colour is not the only cue. */
export function StatusBadge({ status }: { status: Status }) {
  const icon = status === 'detected' ? '▲' : status === 'possible' ? '●' : '✓';
  return (
    <span class={`badge badge-${status}`}>
      <span aria-hidden="true">{icon} </span>
      {statusText(status)}
    </span>
  );
}
