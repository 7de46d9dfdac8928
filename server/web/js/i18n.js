// Interface strings in Kazakh, Russian and English, and the formatting of
// dates, numbers and plurals for the chosen language. Strings live in
// /assets/i18n/<lang>.json; a test checks that every key used here exists
// in all three. Labels of questions and choices come from the forms' own
// translations (formLabel below).

export const LANGUAGES = [
  {code: 'kk', name: 'Қазақша', locale: 'kk-KZ'},
  {code: 'ru', name: 'Русский', locale: 'ru-RU'},
  {code: 'en', name: 'English', locale: 'en-GB'},
];

const catalogs = {};
let current = 'ru';

export function language() {
  return current;
}

function locale() {
  return (LANGUAGES.find((l) => l.code === current) || LANGUAGES[1]).locale;
}

export async function useLanguage(code) {
  if (!LANGUAGES.some((l) => l.code === code)) code = 'ru';
  if (!catalogs[code]) {
    const res = await fetch(`/assets/i18n/${code}.json`, {credentials: 'same-origin'});
    catalogs[code] = await res.json();
  }
  current = code;
  document.documentElement.lang = code;
}

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (m, name) => (params && name in params ? String(params[name]) : m));
}

// The string for `key`, with {name} replaced from `params`. A missing key
// shows itself, bracketed, so a screenshot or a test catches it.
export function t(key, params) {
  const text = (catalogs[current] || {})[key];
  return text === undefined ? `⟦${key}⟧` : fill(text, params);
}

// A count with the noun in the right plural form: keys `key.one`,
// `key.few`, `key.many`, `key.other`, as the language's rules need.
export function tn(key, count, params) {
  const rule = new Intl.PluralRules(locale()).select(count);
  const catalog = catalogs[current] || {};
  const text = catalog[`${key}.${rule}`] ?? catalog[`${key}.other`];
  const all = {...params, n: formatNumber(count)};
  return text === undefined ? `⟦${key}.${rule}⟧` : fill(text, all);
}

export function formatNumber(n, digits) {
  return new Intl.NumberFormat(locale(), {maximumFractionDigits: digits ?? 2}).format(n);
}

export function formatPercent(fraction) {
  return new Intl.NumberFormat(locale(), {style: 'percent', maximumFractionDigits: 0}).format(fraction);
}

// Some browsers carry no calendar names for a language (Chromium's ICU
// writes a Kazakh month as "M12"): the catalog's own month names are used
// then, in the language's usual order.
function monthNamesMissing() {
  const probe = new Intl.DateTimeFormat(locale(), {month: 'short', timeZone: 'UTC'}).format(new Date(Date.UTC(2026, 11, 15)));
  return /\d/.test(probe);
}

function ownDate(date, utc) {
  const months = t('months.short').split(',');
  const y = utc ? date.getUTCFullYear() : date.getFullYear();
  const m = utc ? date.getUTCMonth() : date.getMonth();
  const d = utc ? date.getUTCDate() : date.getDate();
  return t('date.pattern', {d, month: months[m] || m + 1, y});
}

function ownTime(date) {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

export function formatDate(ms) {
  if (!ms) return '';
  if (monthNamesMissing()) return ownDate(new Date(ms), false);
  return new Intl.DateTimeFormat(locale(), {year: 'numeric', month: 'short', day: 'numeric'}).format(new Date(ms));
}

export function formatDateTime(ms) {
  if (!ms) return '';
  if (monthNamesMissing()) return ownDate(new Date(ms), false) + ', ' + ownTime(new Date(ms));
  return new Intl.DateTimeFormat(locale(), {dateStyle: 'medium', timeStyle: 'short'}).format(new Date(ms));
}

// A YYYY-MM-DD date as the language writes it.
export function formatDay(day) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day || '')) return day || '';
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (monthNamesMissing()) return ownDate(date, true);
  return new Intl.DateTimeFormat(locale(), {year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC'}).format(date);
}

// A form's text in the chosen language: forms carry {"kk": ..., "ru": ...,
// "en": ...} or a plain string; the form's default language fills a gap.
export function formLabel(text, fallbackLanguage) {
  if (text === null || text === undefined) return '';
  if (typeof text === 'string') return text;
  return text[current] ?? text[fallbackLanguage] ?? Object.values(text)[0] ?? '';
}
