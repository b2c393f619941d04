// Translated symptom and category names; kept apart from i18n.ts so the embed
// bundle does not carry them.
import { symptoms, categories } from './labels';
import { lang } from './i18n';

const pick = (p: [string, string] | undefined, slug: string) => (p ? p[lang === 'id' ? 1 : 0] : slug);

export const symptomName = (slug: string) => pick(symptoms[slug], slug);
export const categoryName = (slug: string) => pick(categories[slug], slug);
