import { useEffect, useMemo, useState } from 'preact/hooks';
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
// Sequential blues, light to dark; the darkest classes carry white-on-blue contrast in the legend.
const COLORS = ['#d6e4f5', '#9ec2e6', '#5b9bd5', '#2f6fb3', '#123f7a'];
const EMPTY = '#eef0f2';

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

/** classes splits 1..max into up to five ranges for the legend and the fills. */
function classes(max: number): [number, number][] {
  if (max <= 0) return [];
  const n = Math.min(5, max);
  const out: [number, number][] = [];
  let lo = 1;
  for (let i = 1; i <= n; i++) {
    const hi = i === n ? max : Math.max(lo, Math.round((max * i) / n));
    out.push([lo, hi]);
    lo = hi + 1;
    if (lo > max) break;
  }
  return out;
}

/**
 * OutageMap is a choropleth of reports by country with a legend and, for
 * screen readers and exact numbers, the same data as a table.
 */
export function OutageMap({ countries }: { countries: CountryCount[] | null }) {
  const [shapes, setShapes] = useState<Shape[] | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    loadAtlas().then(setShapes, () => setFailed(true));
  }, []);

  const counts = useMemo(() => {
    const m = new Map<string, number>();
    for (const c of countries ?? []) if (c.country) m.set(c.country.toUpperCase(), c.reports);
    return m;
  }, [countries]);
  const max = Math.max(0, ...counts.values());
  const cls = classes(max);
  const fill = (code: string) => {
    const v = counts.get(code) ?? 0;
    if (v <= 0) return EMPTY;
    const i = cls.findIndex(([lo, hi]) => v >= lo && v <= hi);
    return COLORS[Math.round((Math.max(0, i) * (COLORS.length - 1)) / Math.max(1, cls.length - 1))];
  };

  return (
    <div class="map">
      <div class="map-frame">
        {shapes ? (
          <svg viewBox={`0 0 ${W} ${H}`} class="map-svg" aria-hidden="true" data-testid="outage-map">
            {shapes.map((s) => (
              <path d={s.d} fill={fill(s.code)} data-country={s.code} class={counts.has(s.code) ? 'has-reports' : undefined}>
                <title>
                  {countryName(s.code || '')}
                  {counts.has(s.code) ? `: ${num(counts.get(s.code)!)}` : ''}
                </title>
              </path>
            ))}
          </svg>
        ) : (
          <div class="skeleton map-skeleton">{failed ? '' : t.loading}</div>
        )}
      </div>
      {cls.length > 0 && (
        <ul class="map-legend" aria-label={t.map_unit}>
          {cls.map(([lo, hi], i) => (
            <li>
              <span class="sw" style={{ background: COLORS[Math.round((i * (COLORS.length - 1)) / Math.max(1, cls.length - 1))] }} aria-hidden="true" />
              {lo === hi ? num(lo) : `${num(lo)}–${num(hi)}`}
            </li>
          ))}
        </ul>
      )}
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
    <table class="data">
      <caption>{t.map_unit}</caption>
      <thead>
        <tr>
          <th scope="col">{t.country}</th>
          <th scope="col" class="num">{t.reports}</th>
          <th scope="col" class="num">{t.reporters}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((c) => (
          <tr>
            <th scope="row">{countryName(c.country)}</th>
            <td class="num">{num(c.reports)}</td>
            <td class="num">{num(c.reporters)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
