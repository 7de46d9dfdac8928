// The volunteer's page. It shows what `dala ui` decides: every answer goes
// to the form engine in C++ and the screen comes back as JSON. Nothing
// from a form or a record is ever parsed as HTML: all of it is set as
// textContent or as an attribute value.
import {lang, t, useLanguage} from './i18n.js';
import {api} from './dom.js';
import {fill} from './fill.js';
import {home, laptop, record} from './pages.js';

// --- routes ------------------------------------------------------------------

function words() {
  document.documentElement.lang = lang;
  document.getElementById('nav-home').textContent = t('home');
  document.getElementById('nav-laptop').textContent = t('laptop');
  document.getElementById('lang-label').textContent = t('language');
  document.getElementById('lang').value = lang;
}

export async function route() {
  words();
  const [, page, arg] = location.hash.split('/');
  if (page === 'fill') return fill(arg);
  if (page === 'record') return record(arg, false);
  if (page === 'saved') return record(arg, true);
  if (page === 'laptop') return laptop();
  return home();
}

async function startPage() {
  const {data} = await api('GET', '/home');
  await useLanguage(data.language || 'ru');
  document.getElementById('lang').addEventListener('change', async (e) => {
    const r = await api('POST', '/language', {language: e.target.value});
    if (r.status === 200) await useLanguage(r.data.language);
    route();
  });
  window.addEventListener('hashchange', route);
  route();
}

startPage();
