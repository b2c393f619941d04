import { locale, t } from '../i18n';

/** FilterSelect is a labelled filter whose first choice, "All", is the empty value;
 * `sorted` orders the other choices by their label in the reader's language. */
export function FilterSelect(props: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: [value: string, label: string][];
  sorted?: boolean;
}) {
  const options = props.sorted ? [...props.options].sort((a, b) => a[1].localeCompare(b[1], locale)) : props.options;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">{t.all}</option>
        {options.map(([v, l]) => (
          <option value={v}>{l}</option>
        ))}
      </select>
    </div>
  );
}
