import type { Status } from '../api';
import { t } from '../i18n';

/** Shown is what a page shows: the status, or "elevated" when no incident is open but reports are over the detector's alert threshold. */
export type Shown = Status | 'elevated';

export function shownStatus(s: { status: Status; elevated?: unknown }): Shown {
  return s.status === 'ok' && s.elevated ? 'elevated' : s.status;
}

export function statusText(s: Shown): string {
  switch (s) {
    case 'detected':
      return t.status_detected;
    case 'possible':
      return t.status_possible;
    case 'elevated':
      return t.status_elevated;
    default:
      return t.status_ok;
  }
}

/** StatusBadge shows the status in words, with a shape so colour is not the only cue. */
export function StatusBadge({ status }: { status: Shown }) {
  const icon = status === 'detected' ? '▲' : status === 'possible' ? '●' : status === 'elevated' ? '↑' : '✓';
  return (
    <span class={`badge badge-${status}`}>
      <span aria-hidden="true">{icon} </span>
      {statusText(status)}
    </span>
  );
}
