import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from '../api';
import { dateTime, dayMonth, monthYear, num, t, time, unitOf } from '../i18n';
import { lastBucket } from '../range';

interface Props {
  series: Series;
  height: number;
}

const C = {
  bar: '#1f5fbf',
  barFill: 'rgba(31, 95, 191, 0.75)',
  barPartial: 'rgba(31, 95, 191, 0.25)',
  median: '#4a4a4a',
  band: 'rgba(120, 120, 120, 0.18)',
  grid: '#e3e3e3',
  text: '#333',
};

type Cols = [number[], (number | null)[], (number | null)[], (number | null)[], (number | null)[]];

/**
 * columns gives uPlot one x per bucket start plus one at the end of the last
 * bucket (no bar there): the x range then reaches the last bucket's end, so
 * its bar, drawn from its start to the right, is fully visible, and the
 * stepped expected line and band run across it too. The band runs from zero
 * to the detector's alert threshold and the line is its expected count, both
 * as it stored them; where it judged nothing they are gaps, not guesses.
 */
function columns(s: Series): Cols {
  const x: number[] = [];
  const r: (number | null)[] = [];
  const m: (number | null)[] = [];
  const lo: (number | null)[] = [];
  const hi: (number | null)[] = [];
  for (const p of s.points) {
    x.push(Date.parse(p.t) / 1000);
    r.push(p.reports);
    m.push(p.expected ?? null);
    const top = p.threshold_possible ?? null;
    lo.push(top == null ? null : 0);
    hi.push(top);
  }
  const n = x.length;
  if (n) {
    x.push(x[n - 1] + s.step);
    r.push(null);
    m.push(m[n - 1]);
    lo.push(lo[n - 1]);
    hi.push(hi[n - 1]);
  }
  return [x, r, m, lo, hi];
}

/** hatch is the fill of a partial bucket's bar: lighter, with diagonal stripes. */
function hatch(): CanvasPattern | string {
  const c = document.createElement('canvas');
  c.width = c.height = 8;
  const g = c.getContext('2d');
  if (!g) return C.barPartial;
  g.fillStyle = C.barPartial;
  g.fillRect(0, 0, 8, 8);
  g.strokeStyle = C.bar;
  g.lineWidth = 1.5;
  g.beginPath();
  for (const o of [-8, 0, 8]) {
    g.moveTo(o, 8);
    g.lineTo(o + 8, 0);
  }
  g.stroke();
  return g.createPattern(c, 'repeat') ?? C.barPartial;
}

const MIN = 60;
const HOUR = 3600;
const DAY = 86400;
// uPlot's own month and year steps, which it splits on calendar boundaries.
const MONTH = 30 * DAY;
const YEAR = 365 * DAY;
const HOUR_INCRS = [15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR, 6 * HOUR, 8 * HOUR, 12 * HOUR];
const DAY_INCRS = [DAY, 2 * DAY, 3 * DAY, 7 * DAY, 14 * DAY, MONTH, 2 * MONTH, 3 * MONTH, 6 * MONTH, YEAR, 2 * YEAR, 5 * YEAR, 10 * YEAR];
const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const X_SPACE = 72;

/**
 * xIncrs gives the x axis' tick steps for a span (seconds): hours (with the
 * date at midnight) up to 72 hours, whole days (or months, years) beyond.
 * uPlot aligns them to the reader's local midnight.
 */
function xIncrs(span: number): number[] {
  return span > 72 * HOUR ? DAY_INCRS : [...HOUR_INCRS, ...DAY_INCRS];
}

/** xLabels: "14:00" for hour ticks ("29 Nov" at midnight), "29 Nov" for days, "Nov 2024" for months, "2024" for years. */
function xLabels(splits: number[], incr: number): string[] {
  return splits.map((s) => {
    const ms = s * 1000;
    if (incr >= YEAR) return String(new Date(ms).getFullYear());
    if (incr >= MONTH) return monthYear(ms);
    if (incr >= DAY) return dayMonth(ms);
    const d = new Date(ms);
    return d.getHours() === 0 && d.getMinutes() === 0 ? dayMonth(ms) : time(ms);
  });
}

let measurer: CanvasRenderingContext2D | null = null;

/**
 * publishTicks puts the x labels' boxes (CSS px, from the chart's left) on the
 * chart element as data-x-ticks, for tests: uPlot draws labels on its canvas.
 */
function publishTicks(u: uPlot, el: HTMLElement) {
  const ax = u.axes[0] as uPlot.Axis & { _splits?: number[]; _values?: string[] };
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!measurer || !ax._splits || !ax._values) return;
  measurer.font = AXIS_FONT;
  const left = u.over.offsetLeft;
  const boxes = ax._splits.map((s, i) => {
    const text = String(ax._values![i] ?? '');
    const x = left + u.valToPos(s, 'x');
    const w = measurer!.measureText(text).width;
    return { text, l: Math.round((x - w / 2) * 10) / 10, r: Math.round((x + w / 2) * 10) / 10 };
  });
  el.dataset.xTicks = JSON.stringify({ width: u.width, boxes });
}

/**
 * publishBand puts the newest bucket drawn with a band (its start, expected
 * count and alert threshold, as uPlot holds them) on the chart element as
 * data-band, for tests to hold against the series API.
 */
function publishBand(u: uPlot, el: HTMLElement) {
  const [x, , m, , hi] = u.data as unknown as Cols;
  for (let i = x.length - 2; i >= 0; i--) {
    if (hi[i] != null) {
      el.dataset.band = JSON.stringify({ t: x[i], expected: m[i], threshold: hi[i] });
      return;
    }
  }
  delete el.dataset.band;
}

/** bucketAt is the index of the bucket that holds time x (seconds), or -1. */
function bucketAt(s: Series, x: number): number {
  if (!s.points.length || !Number.isFinite(x)) return -1;
  const i = Math.floor((x - Date.parse(s.points[0].t) / 1000) / s.step);
  return i >= 0 && i < s.points.length ? i : -1;
}

/**
 * Chart draws reports per bucket as bars over what the detector judged them
 * against: a band up to its alert threshold and its expected count as a
 * line, with a tooltip that gives exact counts, the thresholds and the
 * bucket's times in the reader's time zone.
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
    let pat: CanvasPattern | string | undefined;
    const showTip = (u: uPlot) => {
      const tt = tip.current!;
      if (u.cursor.left == null || u.cursor.left < 0) {
        tt.hidden = true;
        return;
      }
      // The bucket under the pointer: bars span their bucket from its start.
      const s = data.current;
      const i = bucketAt(s, u.posToVal(u.cursor.left, 'x'));
      const p = s.points[i];
      if (!p) {
        tt.hidden = true;
        return;
      }
      const start = Date.parse(p.t);
      const lb = i === s.points.length - 1 ? lastBucket(s) : null;
      const lines = [
        `${dateTime(start)}–${time(start + step * 1000)}` +
          (lb?.filling ? ` (${t.still_filling})` : lb?.partial ? ` (${t.until(time(s.to))})` : '') +
          // Not final: reports may still be on their way for it.
          (!p.final && !lb?.filling ? ` (${t.may_change})` : ''),
        `${t.reports}: ${num(p.reports)}`,
      ];
      // A connection counts once per service every 15 minutes, so in most
      // buckets the reporters would only repeat the reports.
      if (p.reporters !== p.reports) lines.push(`${t.reporters}: ${num(p.reporters)}`);
      if (p.expected != null) lines.push(`${t.median}: ${num(p.expected, 1)}`);
      if (p.threshold_possible != null) lines.push(`${t.threshold_possible}: ${num(p.threshold_possible)}`);
      if (p.threshold_detected != null) lines.push(`${t.threshold_detected}: ${num(p.threshold_detected)}`);
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
      scales: { x: { time: true, range: (_u, min, max) => [min, max] }, y: { range: (_u, _min, max) => [0, Math.max(4, max * 1.1)] } },
      axes: [
        {
          stroke: C.text,
          grid: { stroke: C.grid },
          ticks: { stroke: C.grid },
          font: AXIS_FONT,
          // Room for the widest label ("28 Sep", "Sep 2024") and a gap, so labels never touch.
          space: X_SPACE,
          incrs: (_u, _i, min, max) => xIncrs(max - min),
          values: (_u, splits, _i, _space, incr) => xLabels(splits, incr),
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
          paths: uPlot.paths.bars!({
            size: [0.85, 40],
            align: 1,
            // A partial last bucket (still filling) is hatched and lighter.
            disp: {
              fill: {
                unit: 3 as uPlot.Series.BarsPathBuilderFacetUnit,
                values: (u) => {
                  const s = data.current;
                  const partial = lastBucket(s).partial;
                  const last = s.points.length - 1;
                  return (u.data[0] as number[]).map((_, k) => (partial && k === last ? (pat ??= hatch()) : C.barFill)) as unknown as string[];
                },
              },
            },
          }),
          points: { show: false },
        },
        { label: t.median, stroke: C.median, width: 1.5, dash: [6, 4], points: { show: false }, paths: uPlot.paths.stepped!({ align: 1 }) },
        { label: 'low', stroke: 'transparent', width: 0, points: { show: false }, paths: uPlot.paths.stepped!({ align: 1 }) },
        { label: 'high', stroke: 'transparent', width: 0, points: { show: false }, paths: uPlot.paths.stepped!({ align: 1 }) },
      ],
      bands: [{ series: [4, 3], fill: C.band }],
      hooks: {
        setCursor: [showTip],
        // The drawn x range's end (seconds), for tests: it reaches the last bucket's end.
        draw: [(u) => void (el.dataset.xMax = String(u.scales.x.max ?? '')), (u) => publishTicks(u, el), (u) => publishBand(u, el)],
      },
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

  const lb = lastBucket(series);
  return (
    <div class="chart-wrap">
      <div
        ref={box}
        class="chart"
        data-last-end={lb.end / 1000}
        data-partial={lb.partial ? 'true' : 'false'}
        role="img"
        aria-label={`${t.chart_title_range}, ${unitOf(series.step)}`}
      />
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
