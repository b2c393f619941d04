interface Props {
  values: number[] | undefined;
  label: string;
  alert: boolean;
  /** Start of the first bucket and the bucket width in seconds (the sparklines answer). */
  from?: string;
  step?: number;
}

/**
 * Sparkline is a tiny SVG line of hourly counts; its label says the total.
 * The last bucket is the one now falls in, still filling: its count so far
 * is drawn as a rate (count × bucket / elapsed, the elapsed time taken as at
 * least a quarter bucket so a few early reports do not spike) on a dashed,
 * lighter last segment, so the line does not end in a cliff.
 */
export function Sparkline({ values, label, alert, from, step }: Props) {
  if (!values || values.length < 2) return <span class="spark spark-empty" aria-hidden="true" />;
  const n = values.length;
  let vs = values;
  let filling = false;
  if (from && step) {
    const ms = step * 1000;
    const elapsed = Date.now() - (Date.parse(from) + (n - 1) * ms);
    if (elapsed >= 0 && elapsed < ms) {
      filling = true;
      vs = [...values.slice(0, -1), (values[n - 1] * ms) / Math.max(elapsed, ms / 4)];
    }
  }
  const max = Math.max(1, ...vs);
  const w = 100;
  const h = 28;
  const dx = w / (n - 1);
  const xy = vs.map((v, i) => `${(i * dx).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`);
  const pts = xy.join(' ');
  const solid = filling ? xy.slice(0, -1).join(' ') : pts;
  return (
    <svg class={'spark' + (alert ? ' spark-alert' : '')} viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" role="img" aria-label={label}>
      <polygon points={`0,${h} ${pts} ${w},${h}`} class="spark-area" />
      <polyline points={solid} class="spark-line" vector-effect="non-scaling-stroke" />
      {filling && <polyline points={xy.slice(-2).join(' ')} class="spark-line spark-filling" vector-effect="non-scaling-stroke" />}
    </svg>
  );
}
