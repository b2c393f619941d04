// Service search: matches a query against a service's name, slug and aliases,
// ignoring case, spaces, punctuation and diacritics ("whats app" finds
// WhatsApp, "at&t" and "at t" find AT&T), and ranks the hits. Pure: no DOM,
// no i18n, so it can be tested on its own.

/** How well a query matches one name; lower is better. */
export const EXACT = 0;
export const PREFIX = 1;
export const WORD_PREFIX = 2;
export const SUBSTRING = 3;
export const NONE = 4;

/** fold lowercases and drops diacritics (é → e); camel case marks a word ("GoPay" → "go pay"). */
function fold(s: string): string {
  return s
    .replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

/** compact is the folded text with everything but letters and digits removed. */
export function compact(s: string): string {
  return fold(s).replace(/[^\p{L}\p{N}]+/gu, '');
}

/**
 * tierOf says how `name` matches the compacted query `q`: the whole name, its
 * start, the start of a later word (the rest of the name from that word on,
 * so "of america" finds Bank of America), or anywhere.
 */
export function tierOf(q: string, name: string): number {
  if (!q) return NONE;
  const c = compact(name);
  if (!c.includes(q)) return NONE;
  if (c === q) return EXACT;
  if (c.startsWith(q)) return PREFIX;
  const words = fold(name).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  for (let i = 1; i < words.length; i++) {
    if (words.slice(i).join('').startsWith(q)) return WORD_PREFIX;
  }
  return SUBSTRING;
}

export interface Searchable {
  slug: string;
  name: string;
  aliases: string[];
  /** Ties are broken by this, higher first, then by name. */
  reports_last_hour: number;
}

/** matchTier is the best tier of the query over the service's name, slug and aliases. */
export function matchTier(query: string, s: Pick<Searchable, 'slug' | 'name' | 'aliases'>): number {
  const q = compact(query);
  let best = NONE;
  for (const n of [s.name, s.slug, ...s.aliases]) {
    best = Math.min(best, tierOf(q, n));
    if (best === EXACT) break;
  }
  return best;
}

/** isQuery says whether the text has anything to search by (not only spaces or punctuation). */
export const isQuery = (query: string) => compact(query) !== '';

/**
 * search returns the services that match `query`, best first: exact, then
 * name or alias prefix, then word prefix, then substring; within a tier the
 * ones with more reports in the last hour first, then by name.
 */
export function search<T extends Searchable>(query: string, items: readonly T[]): T[] {
  if (!isQuery(query)) return [...items];
  return items
    .map((s) => ({ s, tier: matchTier(query, s) }))
    .filter((x) => x.tier !== NONE)
    .sort(
      (a, b) =>
        a.tier - b.tier ||
        b.s.reports_last_hour - a.s.reports_last_hour ||
        a.s.name.localeCompare(b.s.name),
    )
    .map((x) => x.s);
}
