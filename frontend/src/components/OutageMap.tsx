import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { geoNaturalEarth1, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { Topology, GeometryCollection } from 'topojson-specification';
import type { Feature, Geometry } from 'geojson';
// The atlas is a static asset fetched at run time, not part of the JS bundle.
import atlasUrl from 'world-atlas/countries-110m.json?url';
import type { CountryCount } from '../api';
import { countryName, num, t } from '../i18n';
import { nameToAlpha2, numericToAlpha2 } from './iso';

const W = 960;
const H = 470;

interface Shape {
  code: string;
  d: string;
  name: string;
}

let atlasPromise: Promise<Shape[]> | null = null;

function loadAtlas(): Promise<Shape[]> {
  atlasPromise ??= fetch(atlasUrl)
    .then((r) => {
      if (!r.ok) throw new Error(`atlas: HTTP ${r.status}`);
      return r.json() as Promise<Topology>;
    })
    .then((topo) => {
      const fc = feature(topo, topo.objects.countries as GeometryCollection) as unknown as {
        features: Feature<Geometry, { name: string }>[];
      };
      const shapes = fc.features.filter((f) => f.properties?.name !== 'Antarctica');
      const proj = geoNaturalEarth1().fitExtent(
        [
          [4, 4],
          [W - 4, H - 4],
        ],
        { type: 'FeatureCollection', features: shapes },
      );
      const path = geoPath(proj);
      return shapes.map((f) => ({
        code: numericToAlpha2.get(String(f.id ?? '')) ?? nameToAlpha2[f.properties?.name ?? ''] ?? '',
        d: path(f) ?? '',
        name: f.properties?.name ?? '',
      }));
    })
    .catch((e) => {
      atlasPromise = null;
      throw e;
    });
  return atlasPromise;
}


/**
 * Step is how a country's reports in the window compare with its usual
 * level there (the API's ratio): the map's colour classes, from "no
 * reports" to "over ten times usual", and "unknown" for a country with
 * reports but no usual level to compare them with.
 */
export type Step = 'none' | 'unknown' | 'normal' | 'raised' | 'high' | 'severe';

/** The upper bounds of the ratio steps: ≤1.5×, 1.5–3×, 3–10×, over 10×. */
export const STEP_BOUNDS = [1.5, 3, 10] as const;

/** stepOf classes a country by its reports against its usual level. */
export function stepOf(c: CountryCount | undefined): Step {
  if (!c || !(c.reports > 0)) return 'none';
  if (c.ratio == null || !Number.isFinite(c.ratio)) return 'unknown';
  if (c.ratio <= STEP_BOUNDS[0]) return 'normal';
  if (c.ratio <= STEP_BOUNDS[1]) return 'raised';
  if (c.ratio <= STEP_BOUNDS[2]) return 'high';
  return 'severe';
}

// A sequential orange-red scale (ColorBrewer OrRd) from "as usual" to "over
// ten times usual": ordered by lightness, so it reads in greyscale and to
// colour-blind readers too. Every country with reports gets a dark outline
// (styles.css), which keeps the lightest class apart from the grey of "no
// reports"; "unknown" is hatched rather than coloured, as it is no amount.
const FILL: Record<Step, string> = {
  none: '#eef0f2',
  unknown: 'url(#map-hatch)',
  normal: '#fdd49e',
  raised: '#fc8d59',
  high: '#d7301f',
  severe: '#7f0000',
};

/** The legend's order: the ratio steps, then the two without a ratio. */
const LEGEND: Step[] = ['normal', 'raised', 'high', 'severe', 'unknown', 'none'];

function stepLabel(step: Step): string {
  const x = (n: number) => num(n, 1);
  switch (step) {
    case 'normal':
      return t.map_step_upto(x(STEP_BOUNDS[0]));
    case 'raised':
      return t.map_step_between(x(STEP_BOUNDS[0]), x(STEP_BOUNDS[1]));
    case 'high':
      return t.map_step_between(x(STEP_BOUNDS[1]), x(STEP_BOUNDS[2]));
    case 'severe':
      return t.map_step_over(x(STEP_BOUNDS[2]));
    case 'unknown':
      return t.map_step_unknown;
    default:
      return t.map_step_none;
  }
}

/** ratioText: "12×" (one decimal below ten: "1.4×"). */
const ratioText = (r: number) => `${num(r, r < 10 ? 1 : 0)}×`;

/** describe says what the map knows of one country, for its tooltip and its accessible name. */
function describe(code: string, c: CountryCount | undefined): string {
  const name = countryName(code);
  if (!c || !(c.reports > 0)) return `${name}: ${t.map_no_reports}`;
  const reports = t.map_tip_reports(num(c.reports));
  if (c.ratio == null) return `${name}: ${reports}; ${t.map_no_usual}`;
  return `${name}: ${reports}; ${t.map_tip_usual(num(c.expected, 1))}; ${t.map_tip_ratio(ratioText(c.ratio))}`;
}

interface Tip {
  code: string;
  x: number;
  y: number;
}

/**
 * OutageMap is a choropleth of reports by country, each country coloured
 * by its reports against its own usual level at this time of day (so a
 * country that always reports a lot is not dark for that alone), with a
 * legend of the steps, a tooltip with the count and the usual level on
 * hover and on keyboard focus, and, for screen readers and exact numbers,
 * the same data as a table.
 */
export function OutageMap({ countries, usualDays }: { countries: CountryCount[] | null; usualDays?: number }) {
  const [shapes, setShapes] = useState<Shape[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [tip, setTip] = useState<Tip | null>(null);
  const frame = useRef<HTMLDivElement>(null);
  const tipEl = useRef<HTMLDivElement>(null);
  useEffect(() => {
    loadAtlas().then(setShapes, () => setFailed(true));
  }, []);

  const byCode = useMemo(() => {
    const m = new Map<string, CountryCount>();
    for (const c of countries ?? []) if (c.country) m.set(c.country.toUpperCase(), c);
    return m;
  }, [countries]);

  // The tooltip is placed after it is drawn, once its size is known, so
  // that it stays inside the map (never widening a phone's page).
  useLayoutEffect(() => {
    const el = tipEl.current;
    const fr = frame.current;
    if (!el || !fr || !tip) return;
    const w = el.offsetWidth;
    const h = el.offsetHeight;
    const left = Math.min(Math.max(0, tip.x - w / 2), Math.max(0, fr.clientWidth - w));
    const top = tip.y - h - 12 >= 0 ? tip.y - h - 12 : tip.y + 16;
    el.style.left = `${Math.round(left)}px`;
    el.style.top = `${Math.round(top)}px`;
  }, [tip]);

  // at is where the tooltip points: the pointer, or the middle of the
  // country for keyboard focus.
  const at = (code: string, target: Element, pointer?: { clientX: number; clientY: number }) => {
    const f = frame.current?.getBoundingClientRect();
    if (!f) return;
    const b = target.getBoundingClientRect();
    const x = pointer ? pointer.clientX : b.left + b.width / 2;
    const y = pointer ? pointer.clientY : b.top + b.height / 2;
    setTip({ code, x: x - f.left, y: y - f.top });
  };
  const hide = () => setTip(null);

  return (
    <div class="map">
      <div class="map-frame" ref={frame} onMouseLeave={hide}>
        {shapes ? (
          <svg viewBox={`0 0 ${W} ${H}`} class="map-svg" role="group" aria-label={t.map_label} data-testid="outage-map">
            <defs>
              <pattern id="map-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
                <rect width="6" height="6" fill={FILL.none} />
                <rect width="2.5" height="6" fill="#5f6b7a" />
              </pattern>
            </defs>
            {shapes.map((s) => {
              const c = byCode.get(s.code);
              const step = stepOf(c);
              const reported = step !== 'none';
              return (
                <path
                  d={s.d}
                  fill={FILL[step]}
                  data-country={s.code}
                  data-step={step}
                  data-ratio={c?.ratio ?? undefined}
                  class={reported ? `has-reports step-${step}` : undefined}
                  // Countries with reports can be reached from the keyboard; the rest are scenery.
                  // Lower case: Preact sets an SVG element's attributes as written, and SVG's is tabindex.
                  tabindex={reported ? 0 : undefined}
                  role={reported ? 'img' : undefined}
                  aria-label={reported ? describe(s.code, c) : undefined}
                  aria-hidden={reported ? undefined : 'true'}
                  onMouseMove={(e) => at(s.code, e.currentTarget, e)}
                  onClick={(e) => at(s.code, e.currentTarget, e)}
                  onFocus={(e) => at(s.code, e.currentTarget)}
                  onBlur={hide}
                />
              );
            })}
          </svg>
        ) : (
          <div class="skeleton map-skeleton">{failed ? '' : t.loading}</div>
        )}
        {tip && (
          <div ref={tipEl} class="tooltip map-tip" aria-hidden="true" data-testid="map-tip">
            {describe(tip.code, byCode.get(tip.code))}
          </div>
        )}
      </div>
      <ul class="map-legend" aria-label={t.map_legend} data-testid="map-legend">
        {LEGEND.map((step) => (
          <li data-step={step}>
            <span class={`sw sw-map sw-${step}`} aria-hidden="true" />
            {stepLabel(step)}
          </li>
        ))}
      </ul>
      <p class="muted map-usual">
        {usualDays === 0 ? t.map_usual_none : t.map_usual(usualDays ?? 7)}
      </p>
      {countries && countries.length === 0 && <p class="muted">{t.map_empty}</p>}
      {countries && countries.length > 0 && <CountryTable rows={countries.slice(0, 5)} />}
      {countries && countries.length > 5 && (
        <details class="table-details">
          <summary>{t.all_countries(countries.length)}</summary>
          <CountryTable rows={countries} />
        </details>
      )}
    </div>
  );
}

function CountryTable({ rows }: { rows: CountryCount[] }) {
  return (
    <div class="table-scroll">
      <table class="data country-table">
        <caption>{t.map_unit}</caption>
        <thead>
          <tr>
            <th scope="col">{t.country}</th>
            <th scope="col" class="num">{t.reports}</th>
            <th scope="col" class="num">{t.map_usual_col}</th>
            <th scope="col" class="num">{t.map_ratio_col}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr data-country={c.country} data-step={stepOf(c)}>
              <th scope="row">{countryName(c.country)}</th>
              <td class="num">{num(c.reports)}</td>
              <td class="num">{c.ratio == null ? '–' : num(c.expected, 1)}</td>
              <td class="num">{c.ratio == null ? t.map_not_known : ratioText(c.ratio)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
