import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from '../api';
import { dateTime, num, t, time, unitOf } from '../i18n';

interface Props {
  series: Series;
  height: number;
}

const C = {
  bar: '#1f5fbf',
  barFill: 'rgba(31, 95, 191, 0.75)',
  median: '#4a4a4a',
  band: 'rgba(120, 120, 120, 0.18)',
  grid: '#e3e3e3',
  text: '#333',
};

type Cols = [number[], number[], number[], number[], number[]];

function columns(s: Series): Cols {
  const x: number[] = [];
  const r: number[] = [];
  const m: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (const p of s.points) {
    x.push(Date.parse(p.t) / 1000);
    r.push(p.reports);
    m.push(p.baseline);
    lo.push(p.baseline_low ?? p.baseline);
    hi.push(p.baseline_high ?? p.baseline);
  }
  return [x, r, m, lo, hi];
}

/**
 * Chart draws reports per bucket as bars over the usual range (a band from
 * baseline_low to baseline_high) and its median line, with a tooltip that
 * gives exact counts and the bucket's times in the reader's time zone.
 */
export function Chart({ series, height }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useRef(series);
  data.current = series;

  useEffect(() => {
    const el = box.current!;
    const step = series.step;
    const long = () => {
      const pts = data.current.points;
      return pts.length > 1 && Date.parse(pts[pts.length - 1].t) - Date.parse(pts[0].t) > 36 * 3600e3;
    };
    const showTip = (u: uPlot) => {
      const tt = tip.current!;
      const i = u.cursor.idx;
      if (i == null || u.cursor.left == null || u.cursor.left < 0) {
        tt.hidden = true;
        return;
      }
      const p = data.current.points[i];
      if (!p) {
        tt.hidden = true;
        return;
      }
      const start = Date.parse(p.t);
      const lo = p.baseline_low ?? p.baseline;
      const hi = p.baseline_high ?? p.baseline;
      const lines = [
        `${dateTime(start)}–${time(start + step * 1000)}`,
        `${t.reports}: ${num(p.reports)}`,
        `${t.reporters}: ${num(p.reporters)}`,
        `${t.usual}: ${num(lo, 1)}–${num(hi, 1)}`,
        `${t.median}: ${num(p.baseline, 1)}`,
      ];
      tt.replaceChildren(
        ...lines.map((s, k) => {
          const d = document.createElement(k === 0 ? 'strong' : 'div');
          d.textContent = s;
          return d;
        }),
      );
      tt.hidden = false;
      const w = tt.offsetWidth;
      const left = u.cursor.left + u.over.offsetLeft;
      const x = left + 12 + w > el.clientWidth ? Math.max(0, left - 12 - w) : left + 12;
      tt.style.transform = `translate(${x}px, ${u.over.offsetTop + 4}px)`;
    };
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, max * 1.1)] } },
      axes: [
        {
          stroke: C.text,
          grid: { stroke: C.grid },
          ticks: { stroke: C.grid },
          values: (_u, splits) => splits.map((s) => (long() ? dateTime(s * 1000) : time(s * 1000))),
        },
        {
          stroke: C.text,
          grid: { stroke: C.grid },
          ticks: { stroke: C.grid },
          label: unitOf(series.step),
          labelSize: 18,
          labelGap: 4,
          size: (_u, values) => 14 + 7.5 * Math.max(3, ...(values ?? []).map((v) => String(v).length)),
          values: (_u, splits) => splits.map((s) => num(s)),
        },
      ],
      series: [
        {},
        {
          label: t.reports,
          stroke: C.bar,
          fill: C.barFill,
          width: 0,
          paths: uPlot.paths.bars!({ size: [0.85, 40], align: 1 }),
          points: { show: false },
        },
        { label: t.median, stroke: C.median, width: 1.5, dash: [6, 4], points: { show: false }, paths: uPlot.paths.stepped!({ align: 1 }) },
        { label: 'low', stroke: 'transparent', width: 0, points: { show: false }, paths: uPlot.paths.stepped!({ align: 1 }) },
        { label: 'high', stroke: 'transparent', width: 0, points: { show: false }, paths: uPlot.paths.stepped!({ align: 1 }) },
      ],
      bands: [{ series: [4, 3], fill: C.band }],
      hooks: { setCursor: [showTip] },
    };
    const u = new uPlot(opts, columns(series) as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (w !== u.width) u.setSize({ width: w, height });
    });
    ro.observe(el);
    const hide = () => {
      if (tip.current) tip.current.hidden = true;
    };
    el.addEventListener('mouseleave', hide);
    return () => {
      ro.disconnect();
      el.removeEventListener('mouseleave', hide);
      u.destroy();
      plot.current = null;
    };
    // The plot is built once per step/height/language; new data goes through setData.
  }, [series.step, height, t]);

  useEffect(() => {
    plot.current?.setData(columns(series) as uPlot.AlignedData);
  }, [series]);

  return (
    <div class="chart-wrap">
      <div ref={box} class="chart" role="img" aria-label={`${t.chart_title_range}, ${unitOf(series.step)}`} />
      <div ref={tip} class="tooltip" hidden role="presentation" />
    </div>
  );
}

/** ChartLegend names what the marks mean, unit included. */
export function ChartLegend({ step }: { step?: number }) {
  const unit = unitOf(step);
  return (
    <ul class="legend" aria-label={unit}>
      <li>
        <span class="sw sw-bar" aria-hidden="true" />
        {t.reports} ({unit})
      </li>
      <li>
        <span class="sw sw-band" aria-hidden="true" />
        {t.usual}
      </li>
      <li>
        <span class="sw sw-median" aria-hidden="true" />
        {t.median}
      </li>
    </ul>
  );
}
