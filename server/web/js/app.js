// The dashboard's shell: who is signed in, the navigation, the language,
// and the router. Pages live in js/pages/; each exports
// `render(main, params, app)` and builds its part of the page from the API.
// The address (#/page?filter=...) holds everything a page shows, so a link
// reproduces it.

import {api, ApiError, setCsrfToken} from './api.js';
import {review} from './decide.js';
import {clear, h, replace} from './dom.js';
import {LANGUAGES, language, t, useLanguage} from './i18n.js';

const PAGES = {
  'overview': () => import('./pages/overview.js'),
  'submissions': () => import('./pages/submissions.js'),
  'submission': () => import('./pages/submission.js'),
  'duplicates': () => import('./pages/duplicates.js'),
  'indicators': () => import('./pages/indicators.js'),
  'people': () => import('./pages/people.js'),
  'forms': () => import('./pages/forms.js'),
  'key': () => import('./pages/key.js'),
  'transparency': () => import('./pages/transparency.js'),
};

// The menu, in the order a coordinator works through the day.
const NAV = [
  {page: 'overview', key: 'nav.overview'},
  {page: 'submissions', key: 'nav.submissions'},
  {page: 'duplicates', key: 'nav.duplicates'},
  {page: 'indicators', key: 'nav.indicators'},
  {page: 'forms', key: 'nav.forms'},
  {page: 'people', key: 'nav.people', admin: true},
  {page: 'key', key: 'nav.key'},
  {page: 'transparency', key: 'nav.transparency'},
];

// What the pages may ask of the shell.
export const app = {
  session: null,  // {user, role, can_decide, can_administer, language}
  navigate(page, params) {
    location.hash = link(page, params);
  },
  // Says something to everyone, screen readers included. It stays through
  // the next page change (a decision often moves on to the next record).
  announce(message, kind) {
    const box = document.getElementById('status');
    if (!box) return;
    announced = Boolean(message);
    replace(box, message ? h('p', {class: ['notice', kind || 'info']}, message) : null);
  },
  refresh() {
    return route();
  },
  // A review decision on one record (bulk approval uses it per record).
  decide(id, {state, comment}) {
    return review(app.session.user, id, state, comment);
  },
};

export function link(page, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return '#/' + page + (s ? '?' + s : '');
}

function parseHash() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, search] = hash.split('?');
  const [page, ...rest] = (path || 'overview').split('/');
  const params = Object.fromEntries(new URLSearchParams(search || ''));
  if (rest.length) params.id = decodeURIComponent(rest.join('/'));
  return {page: PAGES[page] ? page : 'overview', params};
}

function languageSwitch() {
  const select = h('select', {'id': 'language', 'aria-label': t('language.choose'), 'on': {change: async (e) => {
    const code = e.target.value;
    await useLanguage(code);
    if (app.session) {
      try {
        await api('POST', '/me/language', {language: code});
      } catch (err) {
        // The choice still holds for this page; it is only not remembered.
      }
    }
    render();
  }}}, LANGUAGES.map((l) => h('option', {value: l.code, selected: l.code === language(), lang: l.code}, l.name)));
  return h('label', {class: 'language'}, select);
}

function header(current) {
  const s = app.session;
  const nav = s ? h('nav', {'aria-label': t('nav.label')}, h('ul', null, NAV.filter((n) => !n.admin || s.can_administer)
      .map((n) => h('li', null, h('a', {'href': link(n.page), 'aria-current': n.page === current ? 'page' : null},
          t(n.key)))))) : null;
  const who = s ? h('div', {class: 'who'},
      h('span', {class: 'user'}, s.user), ' ', h('span', {class: 'role'}, t('role.' + s.role)), ' ',
      h('button', {type: 'button', class: 'link', on: {click: signOut}}, t('signout'))) : null;
  return h('header', {class: 'top'},
      h('a', {class: 'brand', href: s ? link('overview') : '#/'}, h('img', {src: '/assets/icons/dala.svg', alt: ''}),
          h('span', null, 'Dala')),
      nav, h('div', {class: 'tools'}, languageSwitch(), who));
}

async function signOut() {
  try {
    await api('POST', '/logout', {});
  } catch (e) {
    // Signed out either way: the cookie is gone or was already.
  }
  app.session = null;
  setCsrfToken('');
  render();
}

function signInPage(main) {
  const user = h('input', {id: 'username', name: 'username', autocomplete: 'username', required: true});
  const pass = h('input', {id: 'password', name: 'password', type: 'password', autocomplete: 'current-password',
    required: true});
  const message = h('div', {'id': 'signin-message', 'role': 'alert', 'aria-live': 'assertive'});
  const button = h('button', {type: 'submit', class: 'primary'}, t('signin.submit'));
  const form = h('form', {class: 'signin', on: {submit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    clear(message);
    try {
      const me = await api('POST', '/login', {username: user.value, password: pass.value});
      await startSession(me);
      render();
    } catch (err) {
      let text = t('error.network');
      if (err instanceof ApiError) {
        if (err.code === 'bad_credentials') text = t('signin.wrong');
        else if (err.code === 'too_many_attempts') text = t('signin.wait', {seconds: err.retryAfter || 60});
        else if (err.status) text = err.message;
      }
      replace(message, h('p', {class: 'notice error'}, text));
      pass.value = '';
      pass.focus();
    } finally {
      button.disabled = false;
    }
  }}},
  h('h1', null, t('signin.title')),
  h('p', {class: 'lead'}, t('signin.lead')),
  h('label', {for: 'username'}, t('signin.user')), user,
  h('label', {for: 'password'}, t('signin.password')), pass,
  message, button);
  replace(main, form);
  user.focus();
}

async function startSession(me) {
  setCsrfToken(me.csrf_token);
  app.session = me;
  if (me.language && me.language !== language()) await useLanguage(me.language);
  if (me.can_decide) {
    // Not awaited: the warning waits for the page it is shown over.
    PAGES.key().then((m) => m.warnOfNewKeys(app)).catch(() => {});
  }
}

let routing = 0;
let announced = false;

async function route() {
  // Each route draws into a <main> of its own: a page still loading when
  // the address changes then finishes into a detached element, never over
  // the page drawn after it.
  const main = h('main', {id: 'main', tabindex: '-1'});
  document.getElementById('main').replaceWith(main);
  const {page, params} = parseHash();
  const mine = ++routing;
  replace(document.querySelector('header.top'), ...header(page).childNodes);
  if (!app.session) {
    document.title = t('signin.title') + ' · Dala';
    signInPage(main);
    return;
  }
  if (announced) announced = false;
  else app.announce('');
  replace(main, h('p', {class: 'loading'}, t('loading')));
  try {
    const module = await PAGES[page]();
    if (mine !== routing) return;
    await module.render(main, params, app);
  } catch (err) {
    if (mine !== routing) return;
    if (err instanceof ApiError && err.status === 401) return;  // the sign-in page takes over
    replace(main, h('h1', null, t('error.title')),
        h('p', {class: 'notice error'}, err instanceof ApiError ? `${err.message} (${err.code})` : String(err)));
  }
}

function render() {
  const root = document.getElementById('app');
  replace(root,
      h('a', {class: 'skip', href: '#main', on: {click: (e) => {
        e.preventDefault();
        document.getElementById('main').focus();
      }}}, t('skip')),
      h('header', {class: 'top'}),
      h('div', {'id': 'status', 'role': 'status', 'aria-live': 'polite'}),
      h('main', {id: 'main', tabindex: '-1'}));
  route();
}

async function start() {
  // The language before sign-in: the browser's, if Dala speaks it.
  const preferred = (navigator.languages || []).map((l) => l.slice(0, 2)).find((l) => LANGUAGES.some((x) => x.code === l));
  await useLanguage(preferred || 'ru');
  try {
    const session = await api('GET', '/session');
    if (session.signed_in) await startSession(session);
  } catch (e) {
    app.session = null;
  }
  window.addEventListener('hashchange', route);
  window.addEventListener('dala:signed-out', () => {
    if (!app.session) return;
    app.session = null;
    render();
  });
  render();
}

start();
