/**
 * The UI's strings: every label lives in `ui/locales/<lang>.json` (Vietnamese first, English second), read
 * through i18next. Numbers and dates are formatted for the language: "50,5 %" and 31/03/2024 in Vietnamese.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type TFunction } from 'i18next';

export const LANGS = ['vi', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = 'vi';

const here = path.dirname(fileURLToPath(import.meta.url));
export const loadLocale = (lang: Lang): Record<string, unknown> => JSON.parse(readFileSync(path.join(here, 'locales', `${lang}.json`), 'utf8'));

const instance = i18next.createInstance();
void instance.init({
  initAsync: false,
  lng: DEFAULT_LANG,
  fallbackLng: DEFAULT_LANG,
  resources: Object.fromEntries(LANGS.map((l) => [l, { translation: loadLocale(l) }])),
  // Handlebars escapes what the templates print; i18next must not escape twice.
  interpolation: { escapeValue: false },
  returnNull: false,
  showSupportNotice: false,
});

export const translator = (lang: Lang): TFunction => instance.getFixedT(lang);
export const isLang = (v: unknown): v is Lang => typeof v === 'string' && (LANGS as readonly string[]).includes(v);

/** dd/mm/yyyy in Vietnamese, yyyy-mm-dd in English; '' for nothing. */
export function formatDate(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '';
  const day = iso.slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return iso;
  return lang === 'vi' ? `${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}` : day;
}

/** "50,5 %" (vi) or "50.5%" (en), one decimal. */
export function formatPercent(value: number | null | undefined, lang: Lang): string {
  if (value === null || value === undefined) return '—';
  const n = new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value);
  return lang === 'vi' ? `${n} %` : `${n}%`;
}

export const formatNumber = (value: number, lang: Lang): string => new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-US').format(value);
