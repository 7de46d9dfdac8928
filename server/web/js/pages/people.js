// People and laptops, for the administrator: accounts and their roles,
// enrolment codes for volunteers' laptops, and every laptop with its key's
// fingerprint, last sync and records; a lost laptop is revoked here.

import {api} from '../api.js';
import {h, replace} from '../dom.js';
import {formatDateTime, formatNumber, t} from '../i18n.js';
import {confirmFirst, errorText, field, fingerprint, select} from '../widgets.js';

const ROLES = ['volunteer', 'coordinator', 'auditor', 'admin'];

function addUserForm(app) {
  const name = h('input', {id: 'new-user', autocomplete: 'off', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9._-]{0,63}'});
  const role = select('new-role', ROLES.map((r) => [r, t('role.' + r)]), 'volunteer');
  const password = h('input', {id: 'new-password', type: 'password', autocomplete: 'new-password', minlength: 8});
  const message = h('div', {role: 'alert'});
  return h('form', {class: 'panel', on: {submit: async (e) => {
    e.preventDefault();
    try {
      await api('POST', '/users', {name: name.value.trim(), role: role.value,
        password: role.value === 'volunteer' ? undefined : password.value});
      app.announce(t('people.user_added', {name: name.value.trim()}), 'ok');
      app.refresh();
    } catch (err) {
      replace(message, h('p', {class: 'notice error'}, errorText(err)));
    }
  }}},
  h('h2', null, t('people.add_user')),
  h('div', {class: 'filters'}, field(t('people.name'), name), field(t('people.role'), role),
      field(t('people.password'), password, t('people.password_hint'))),
  message, h('button', {type: 'submit', class: 'primary'}, t('people.add')));
}

// The dashboard opened on the server itself (127.0.0.1, localhost): that
// address would send a laptop to itself.
function onThisComputerOnly(hostname) {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}

function enrolForm(volunteers) {
  const who = select('code-volunteer', volunteers.map((v) => [v, v]), volunteers[0]);
  const ttl = h('input', {id: 'code-ttl', type: 'number', min: 1, max: 720, value: 72});
  const shown = h('div', {'aria-live': 'polite'});
  return h('form', {class: 'panel', on: {submit: async (e) => {
    e.preventDefault();
    try {
      const code = await api('POST', '/enroll-codes', {volunteer: who.value, ttl_hours: Number(ttl.value)});
      replace(shown, h('p', null, t('people.code_for', {who: code.volunteer})),
          h('div', {class: 'code-shown', id: 'enrol-code'}, code.code),
          h('p', null, t('people.code_expires', {when: formatDateTime(code.expires_ms)})),
          h('p', {class: 'hint', id: 'enrol-how'}, t('people.code_hint', {url: location.origin})),
          onThisComputerOnly(location.hostname) ?
            h('p', {class: 'notice warn', id: 'enrol-loopback'}, t('people.code_hint_loopback')) : null);
    } catch (err) {
      replace(shown, h('p', {class: 'notice error'}, errorText(err)));
    }
  }}},
  h('h2', null, t('people.enrol')),
  volunteers.length ? [h('div', {class: 'filters'}, field(t('people.volunteer'), who),
      field(t('people.valid_hours'), ttl)), h('button', {type: 'submit', class: 'primary'}, t('people.issue_code'))] :
    h('p', {class: 'empty'}, t('people.no_volunteers')),
  shown);
}

// Revokes a laptop's key or a person's: `url` is its revoke route, `done`
// what to announce.
function revokeControl(key, url, done, app, confirmKey) {
  const reason = h('input', {'id': 'reason-' + key.slice(0, 8), 'aria-label': t('people.revoke_reason'),
    'placeholder': t('people.revoke_reason')});
  const box = h('span', null, reason, ' ',
      h('button', {type: 'button', class: 'danger primary', on: {click: async () => {
        try {
          await api('POST', url, {reason: reason.value.trim()});
          app.announce(done, 'ok');
          app.refresh();
        } catch (err) {
          app.announce(errorText(err), 'error');
        }
      }}}, t(confirmKey)));
  return confirmFirst(t('people.revoke'), box, reason);
}

// A one-time code with which a coordinator or admin enrols the key that
// signs their decisions (the "Signing key" page).
function keyCodeForm(deciders) {
  const who = select('key-code-person', deciders.map((v) => [v, v]), deciders[0]);
  const shown = h('div', {'aria-live': 'polite'});
  return h('form', {class: 'panel', on: {submit: async (e) => {
    e.preventDefault();
    try {
      const code = await api('POST', '/person-key-codes', {person: who.value});
      replace(shown, h('p', null, t('people.code_for', {who: code.person})),
          h('div', {class: 'code-shown', id: 'key-code-shown'}, code.code),
          h('p', null, t('people.code_expires', {when: formatDateTime(code.expires_ms)})),
          h('p', {class: 'hint'}, t('people.key_code_hint')));
    } catch (err) {
      replace(shown, h('p', {class: 'notice error'}, errorText(err)));
    }
  }}},
  h('h2', null, t('people.key_code')),
  h('div', {class: 'filters'}, field(t('people.name'), who)),
  h('button', {type: 'submit', class: 'primary'}, t('people.issue_code')), shown);
}

function personKeys(keys, app) {
  if (!keys.length) return h('p', {class: 'empty'}, t('people.no_person_keys'));
  return h('div', {class: 'table-wrap'}, h('table', {class: 'list', id: 'person-keys'},
      h('thead', null, h('tr', null, ['people.name', 'people.laptop', 'people.fingerprint', 'people.enrolled',
        'people.status'].map((k) => h('th', {scope: 'col'}, t(k))))),
      h('tbody', null, keys.map((k) => h('tr', {class: k.revoked_ms ? 'revoked' : ''},
          h('th', {scope: 'row'}, k.person), h('td', {class: 'wrap'}, k.label),
          h('td', {class: 'mono', title: k.key}, fingerprint(k.key)),
          h('td', null, formatDateTime(k.enrolled_ms)),
          h('td', {class: 'wrap'}, k.revoked_ms ? t('people.is_revoked', {when: formatDateTime(k.revoked_ms)}) :
            revokeControl(k.key, `/person-keys/${k.key}/revoke`, t('people.key_revoked', {who: k.person}), app,
                'people.confirm_revoke_key')))))));
}

export async function render(main, params, app) {
  if (!app.session.can_administer) {
    replace(main, h('h1', null, t('nav.people')), h('p', {class: 'notice warn'}, t('people.admins_only')));
    return;
  }
  const [users, devices, keys] = await Promise.all([api('GET', '/users'), api('GET', '/devices'),
    api('GET', '/person-keys')]);
  document.title = t('nav.people') + ' · Dala';
  const volunteers = users.users.filter((u) => u.role === 'volunteer').map((u) => u.name);
  const deciders = users.users.filter((u) => u.role === 'coordinator' || u.role === 'admin').map((u) => u.name);
  replace(main,
      h('h1', null, t('nav.people')),
      h('div', {class: 'two-columns'}, addUserForm(app), enrolForm(volunteers)),
      h('h2', null, t('people.users')),
      h('div', {class: 'table-wrap'}, h('table', {class: 'list'},
          h('thead', null, h('tr', null, h('th', {scope: 'col'}, t('people.name')), h('th', {scope: 'col'}, t('people.role')),
              h('th', {scope: 'col'}, t('people.created')), h('th', {scope: 'col'}, t('people.can_log_in')))),
          h('tbody', null, users.users.map((u) => h('tr', null, h('th', {scope: 'row'}, u.name), h('td', null, t('role.' + u.role)),
              h('td', null, formatDateTime(u.created_ms)), h('td', null, u.can_log_in ? t('yes') : t('no'))))))),
      h('h2', null, t('people.laptops')),
      devices.devices.length ? h('div', {class: 'table-wrap'}, h('table', {class: 'list'},
          h('thead', null, h('tr', null, ['people.volunteer', 'people.laptop', 'people.fingerprint', 'people.enrolled',
            'people.last_sync', 'people.records', 'people.status'].map((k) => h('th', {scope: 'col'}, t(k))))),
          h('tbody', null, devices.devices.map((d) => h('tr', {class: d.revoked ? 'revoked' : ''},
              h('th', {scope: 'row'}, d.volunteer), h('td', {class: 'wrap'}, d.label),
              h('td', {class: 'mono', title: d.key}, fingerprint(d.key)),
              h('td', null, formatDateTime(d.enrolled_ms)),
              h('td', null, d.last_sync_ms ? formatDateTime(d.last_sync_ms) : t('never')),
              h('td', {class: 'num'}, formatNumber(d.revisions || 0)),
              h('td', {class: 'wrap'}, d.revoked ? [t('people.is_revoked', {when: formatDateTime(d.revoked_ms)}),
                d.revoke_reason ? ` («${d.revoke_reason}»)` : ''] : revokeControl(d.key, `/devices/${d.key}/revoke`,
                t('people.revoked', {label: d.label, who: d.volunteer}), app, 'people.confirm_revoke'))))))) :
        h('p', {class: 'empty'}, t('people.no_laptops')),
      h('h2', null, t('people.person_keys')),
      keyCodeForm(deciders),
      personKeys(keys.keys, app));
}
