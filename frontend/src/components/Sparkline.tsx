/** Sparkline is a tiny SVG line of hourly counts; its label says the total. */
export function Sparkline({ values, label, alert }: { values: number[] | undefined; label: string; alert: boolean }) {
  if (!values || values.length < 2) return <span class="spark spark-empty" aria-hidden="true" />;
  const max = Math.max(1, ...values);
  const w = 100;
  const h = 28;
  const dx = w / (values.length - 1);
  const pts = values.map((v, i) => `${(i * dx).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`).join(' ');
  return (
    <svg class={'spark' + (alert ? ' spark-alert' : '')} viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" role="img" aria-label={label}>
      <polygon points={`0,${h} ${pts} ${w},${h}`} class="spark-area" />
      <polyline points={pts} class="spark-line" vector-effect="non-scaling-stroke" />
    </svg>
  );
}
