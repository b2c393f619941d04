import { t } from '../i18n';

/** FilterSelect is a labelled filter whose first choice, "All", is the empty value. */
export function FilterSelect(props: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: [value: string, label: string][];
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">{t.all}</option>
        {props.options.map(([v, l]) => (
          <option value={v}>{l}</option>
        ))}
      </select>
    </div>
  );
}
