// Dala's own words on the page, in Kazakh, Russian or English, from
// /assets/i18n/<lang>.json; a test checks that every key used exists in all
// three. The form's labels come from the form, through `dala ui`.

const catalogs = {};
export let lang = 'ru';

export async function useLanguage(code) {
  if (!catalogs[code]) {
    const res = await fetch(`/assets/i18n/${code}.json`, {credentials: 'same-origin'});
    catalogs[code] = await res.json();
  }
  lang = code;
}

// The word for `key`, its {1}, {2}... filled from `args`.
export function t(key, ...args) {
  let s = (catalogs[lang] && catalogs[lang][key]) || key;
  args.forEach((a, i) => { s = s.replace('{' + (i + 1) + '}', String(a)); });
  return s;
}
