// Prints the gzipped size of the JavaScript each page loads (its entry
// script, modulepreloads and every chunk they import, dynamic imports
// included) and exits 1 when the service page's JS is over the 100 KB budget.
// Run after `npm run build`.
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../../services/web/internal/ui/dist/app');
const BUDGET = 100 * 1024;

function scriptsOf(html) {
  const out = [];
  for (const m of html.matchAll(/<script[^>]+src="([^"]+)"/g)) out.push(m[1]);
  for (const m of html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)) out.push(m[1]);
  return out;
}

// closure follows static and dynamic imports between built chunks.
function closure(entries) {
  const seen = new Set();
  const todo = entries.map((e) => e.replace(/^\//, ''));
  while (todo.length) {
    const f = todo.pop();
    if (seen.has(f)) continue;
    seen.add(f);
    const src = readFileSync(join(dist, f), 'utf8');
    for (const m of src.matchAll(/(?:import|from)\s*\(?\s*["'](\.{1,2}\/[^"']+\.js)["']/g)) {
      todo.push(posix.normalize(posix.join(posix.dirname(f), m[1])));
    }
  }
  return [...seen].sort();
}

const pages = [
  ['home, service page, incidents (index.html)', 'index.html'],
  ['embed (embed.html)', 'embed.html'],
];

let failed = false;
for (const [name, html] of pages) {
  const p = join(dist, html);
  if (!existsSync(p)) {
    console.error(`${p} is missing: run npm run build first`);
    process.exit(1);
  }
  const files = closure(scriptsOf(readFileSync(p, 'utf8')));
  let total = 0;
  console.log(name);
  for (const f of files) {
    const gz = gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
    total += gz;
    console.log(`  ${f.padEnd(36)} ${(gz / 1024).toFixed(1).padStart(6)} KB gzipped`);
  }
  console.log(`  total JS ${(total / 1024).toFixed(1)} KB gzipped`);
  if (html === 'index.html' && total > BUDGET) {
    console.error(`the service page loads ${(total / 1024).toFixed(1)} KB of gzipped JS, over the ${BUDGET / 1024} KB budget`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
