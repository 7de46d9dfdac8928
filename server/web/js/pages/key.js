// The person's signing key: whether this browser holds one, every key ever
// enrolled in their name (so a key they did not enrol stands out), and the
// form that makes a key here and enrols it with an admin's one-time code.
// A lost browser profile means enrolling a new key; decisions signed with
// the old one stay valid.

import {enrolKey, keyState} from '../decide.js';
import {h, replace} from '../dom.js';
import {formatDateTime, t} from '../i18n.js';
import {errorText, field, fingerprint} from '../widgets.js';

function enrolForm(app) {
  const code = h('input', {id: 'key-code', autocomplete: 'off', required: true, spellcheck: 'false'});
  const label = h('input', {id: 'key-label', autocomplete: 'off', value: navigator.userAgent.includes('Firefox') ?
    'Firefox' : 'Chromium'});
  const message = h('div', {role: 'alert'});
  const button = h('button', {type: 'submit', class: 'primary'}, t('key.enrol'));
  return h('form', {class: 'panel', id: 'key-enrol', on: {submit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    try {
      await enrolKey(app.session.user, code.value, label.value.trim());
      app.announce(t('key.enrolled'), 'ok');
      app.refresh();
    } catch (err) {
      const text = err.code === 'bad_code' ? t('key.not_a_code') :
        err.code === 'bad_enroll_code' ? t('key.bad_code') : errorText(err);
      replace(message, h('p', {class: 'notice error'}, text));
    } finally {
      button.disabled = false;
    }
  }}},
  h('h2', null, t('key.enrol_title')),
  h('p', {class: 'hint'}, t('key.enrol_hint')),
  h('div', {class: 'filters'}, field(t('key.code'), code), field(t('key.label'), label)),
  message, button);
}

export async function render(main, params, app) {
  document.title = t('nav.key') + ' · Dala';
  const state = await keyState(app.session.user);
  let status;
  if (state.mine && !state.mine.revoked_ms) {
    status = h('p', {class: 'notice ok', id: 'key-status'}, t('key.ready', {fingerprint: state.mine.fingerprint}));
  } else if (state.mine) {
    status = h('p', {class: 'notice error', id: 'key-status'}, t('key.revoked_here'));
  } else if (state.signsOwn) {
    status = h('p', {class: 'notice warn', id: 'key-status'}, t('key.none_here'));
  } else {
    status = h('p', {class: 'notice warn', id: 'key-status'}, t('key.attested'));
  }
  const canEnrol = app.session.can_decide && !(state.mine && !state.mine.revoked_ms);
  replace(main,
      h('h1', null, t('nav.key')),
      h('p', {class: 'lead'}, t('key.lead')),
      status,
      canEnrol ? enrolForm(app) : null,
      h('h2', null, t('key.all')),
      state.keys.length ? h('div', {class: 'table-wrap'}, h('table', {class: 'list', id: 'my-keys'},
          h('thead', null, h('tr', null, ['key.fingerprint', 'key.where', 'key.enrolled_on', 'key.status']
              .map((k) => h('th', {scope: 'col'}, t(k))))),
          h('tbody', null, state.keys.map((k) => h('tr', {class: k.revoked_ms ? 'revoked' : ''},
              h('td', {class: 'mono', title: k.key}, fingerprint(k.key)),
              h('td', {class: 'wrap'}, k.label, state.mine && state.mine.key === k.key ? [' ', t('key.this_browser')] : ''),
              h('td', null, formatDateTime(k.enrolled_ms)),
              h('td', null, k.revoked_ms ? t('key.is_revoked', {when: formatDateTime(k.revoked_ms), who: k.revoked_by}) :
                t('key.active'))))))) :
        h('p', {class: 'empty'}, t('key.no_keys')));
}

// Warns, once per key, of a key enrolled in the person's name that this
// browser has not seen: whoever enrolled it can sign as them.
export async function warnOfNewKeys(app) {
  const state = await keyState(app.session.user);
  const seenSlot = 'dala-seen-keys ' + app.session.user;
  const seen = new Set(JSON.parse(localStorage.getItem(seenSlot) || '[]'));
  const fresh = state.keys.filter((k) => !seen.has(k.key) && !(state.local && state.local.publicHex === k.key));
  localStorage.setItem(seenSlot, JSON.stringify(state.keys.map((k) => k.key)));
  if (fresh.length) app.announce(t('key.new_warning', {when: formatDateTime(fresh[fresh.length - 1].enrolled_ms),
    label: fresh[fresh.length - 1].label}), 'warn');
}
