import { useEffect, useState } from 'preact/hooks';
import { navigate } from '../router';
import { num, t } from '../i18n';
import { MAX_RANGE_DAYS, PRESETS, fromLocalInput, localInput, type Preset } from '../range';

interface Props {
  slug: string;
  search: URLSearchParams;
  /** The preset shown, or null for a from/to range. */
  preset: Preset | null;
  from: string;
  to: string;
}

const presetName = (p: Preset) => ({ '24h': t.range_24h, '48h': t.range_48h, '7d': t.range_7d, '30d': t.range_30d })[p];

/**
 * RangeControl picks the chart's range: a preset up to now (`?range=7d`) or a
 * custom from/to in the reader's time zone (`?from=…&to=…`). It changes the
 * page's URL, so the stable link, the CSV and the image follow. Whether a
 * custom range is allowed is the API's to say; the page shows its answer.
 */
export function RangeControl({ slug, search, preset, from, to }: Props) {
  const [custom, setCustom] = useState(preset === null);
  const [f, setF] = useState(localInput(from));
  const [e, setE] = useState(localInput(to));
  const [msg, setMsg] = useState('');

  // A link or back/forward to another custom range: show its dates.
  const fixedFrom = preset === null ? from : '';
  const fixedTo = preset === null ? to : '';
  useEffect(() => {
    if (preset === null) {
      setCustom(true);
      setF(localInput(from));
      setE(localInput(to));
    }
  }, [preset, fixedFrom, fixedTo]);

  const go = (q: Record<string, string>) => {
    const p = new URLSearchParams(search);
    p.delete('range');
    p.delete('from');
    p.delete('to');
    for (const [k, v] of Object.entries(q)) p.set(k, v);
    const qs = p.toString();
    navigate(`/services/${encodeURIComponent(slug)}${qs ? `?${qs}` : ''}`);
  };

  const submit = (ev: Event) => {
    ev.preventDefault();
    const ff = fromLocalInput(f);
    const ee = fromLocalInput(e);
    if (!ff || !ee) {
      setMsg(t.range_missing);
      return;
    }
    setMsg('');
    go({ from: ff, to: ee });
  };

  return (
    <div class="range" data-testid="range-control">
      <div class="range-buttons" role="group" aria-label={t.range}>
        {(Object.keys(PRESETS) as Preset[]).map((k) => (
          <button
            type="button"
            data-range={k}
            aria-pressed={!custom && preset === k ? 'true' : 'false'}
            onClick={() => {
              setCustom(false);
              setMsg('');
              go(k === '24h' ? {} : { range: k });
            }}
          >
            {presetName(k)}
          </button>
        ))}
        <button
          type="button"
          data-range="custom"
          aria-expanded={custom ? 'true' : 'false'}
          aria-controls="range-custom"
          onClick={() => {
            if (!custom) {
              setF(localInput(from));
              setE(localInput(to));
            }
            setCustom(!custom);
          }}
        >
          {t.range_custom}
        </button>
      </div>
      {custom && (
        <form id="range-custom" class="range-custom" onSubmit={submit} noValidate>
          <div class="range-field">
            <label for="range-from">{t.range_from}</label>
            <input id="range-from" type="datetime-local" value={f} onInput={(ev) => setF(ev.currentTarget.value)} />
          </div>
          <div class="range-field">
            <label for="range-to">{t.range_to}</label>
            <input id="range-to" type="datetime-local" value={e} onInput={(ev) => setE(ev.currentTarget.value)} />
          </div>
          <button type="submit">{t.range_show}</button>
          <p class="muted range-hint">{t.range_hint(t.range_max(num(MAX_RANGE_DAYS)))}</p>
          {msg && (
            <p role="alert" class="range-error">
              {msg}
            </p>
          )}
        </form>
      )}
    </div>
  );
}
