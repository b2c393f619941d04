// Fails when a catalog indicator or category has no English + Indonesian name
// in src/labels.ts, so a new service cannot ship untranslated symptoms.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const catalog = JSON.parse(readFileSync(here('../../services/shared/catalog/services.json'), 'utf8'));
const src = readFileSync(here('../src/labels.ts'), 'utf8');
const [symPart, catPart] = src.split('export const categories');

function keys(part) {
  const out = new Set();
  for (const m of part.matchAll(/^\s*'?([a-z0-9-]+)'?: \['[^']+', '[^']+'\],$/gm)) out.add(m[1]);
  return out;
}
const sym = keys(symPart);
const cat = keys(catPart);
const missing = [];
for (const s of catalog) {
  for (const i of s.indicators) if (!sym.has(i)) missing.push(`symptom ${i} (${s.slug})`);
  if (!cat.has(s.category)) missing.push(`category ${s.category} (${s.slug})`);
}
if (missing.length) {
  console.error('labels.ts lacks:\n  ' + [...new Set(missing)].join('\n  '));
  process.exit(1);
}
console.log(`labels ok: ${sym.size} symptoms, ${cat.size} categories`);
