import { num, pct, t } from '../i18n';
import { symptomName } from '../names';
import type { ServiceDetail } from '../api';

/** SymptomCount is one symptom's reports in the window (the API's last_hour.symptoms). */
export type SymptomCount = Pick<ServiceDetail['last_hour']['symptoms'][number], 'symptom' | 'reports'>;

interface Row {
  symptom: string;
  reports: number;
  share: number;
}

/**
 * rows lists every symptom with its count and share of the window's
 * reports: the reported ones largest first, then the service's other
 * symptoms at zero in the catalog's order, so the reader sees what was not
 * reported too. The shares are of the sum, so that they add up to 100 %.
 */
export function breakdownRows(symptoms: SymptomCount[], indicators: string[]): Row[] {
  const counts = new Map<string, number>();
  for (const s of symptoms) counts.set(s.symptom, (counts.get(s.symptom) ?? 0) + Math.max(0, s.reports));
  for (const i of indicators) if (!counts.has(i)) counts.set(i, 0);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const order = (s: string) => {
    const i = indicators.indexOf(s);
    return i < 0 ? indicators.length : i;
  };
  return [...counts]
    .map(([symptom, reports]) => ({ symptom, reports, share: total > 0 ? reports / total : 0 }))
    .sort((a, b) => b.reports - a.reports || order(a.symptom) - order(b.symptom) || a.symptom.localeCompare(b.symptom));
}

/**
 * Breakdown is what Downdetector calls "most reported problems", shown
 * whatever the status: every symptom of the service with its reports and
 * share over the window, as a table whose caption names the window. It
 * shows a skeleton of the same height while loading (null), so the page
 * below does not move, and says so plainly when there were no reports.
 */
export function Breakdown({
  symptoms,
  indicators,
  caption = t.breakdown_caption,
  empty = t.breakdown_empty,
}: {
  symptoms: SymptomCount[] | null;
  indicators: string[];
  /** Names the window, e.g. "Reports in the last hour, by problem". */
  caption?: string;
  /** Said when the window has no reports, e.g. "No reports in the last hour." */
  empty?: string;
}) {
  if (!symptoms) return <div class="skeleton breakdown-skeleton" aria-hidden="true" />;
  const rows = breakdownRows(symptoms, indicators);
  const total = rows.reduce((a, r) => a + r.reports, 0);
  if (total === 0) {
    return (
      <p class="breakdown-empty muted" data-testid="breakdown-empty">
        {empty}
      </p>
    );
  }
  return (
    <div class="table-scroll">
      <table class="data breakdown" data-testid="breakdown" data-total={total}>
        <caption class="muted">
          {caption} · {t.breakdown_total(num(total))}
        </caption>
        <thead>
          <tr>
            <th scope="col">{t.breakdown_problem}</th>
            <th scope="col" class="num">{t.reports}</th>
            <th scope="col" class="breakdown-share">{t.breakdown_share}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr data-symptom={r.symptom} data-reports={r.reports}>
              <th scope="row">{symptomName(r.symptom)}</th>
              <td class="num">{num(r.reports)}</td>
              <td class="breakdown-share">
                <span class="breakdown-cell">
                  <span class="share-bar" aria-hidden="true">
                    <span style={{ width: `${(r.share * 100).toFixed(1)}%` }} />
                  </span>
                  <span class="share-pct">{pct(r.share)}</span>
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
