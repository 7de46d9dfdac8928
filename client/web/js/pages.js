// Home, a record, and the laptop's page.
import {t} from './i18n.js';
import {api, el, heading, main, show, unlockBox, when} from './dom.js';
import {startForm} from './fill.js';
import {route} from './app.js';

// --- home ----------------------------------------------------------------------

export async function home() {
  const {data} = await api('GET', '/home');
  const forms = el('section', {'aria-labelledby': 'forms-h'}, el('h2', {id: 'forms-h'}, t('forms')));
  if (!data.forms || data.forms.length === 0) forms.append(el('p', {}, t('no_forms')));
  else forms.append(el('ul', {class: 'cards'}, data.forms.map((f) => el('li', {},
    el('button', {class: 'primary big', 'data-form': f.id, onclick: () => startForm(f.id)}, t('start') + ': ' + f.title)))));

  const drafts = el('section', {'aria-labelledby': 'drafts-h'}, el('h2', {id: 'drafts-h'}, t('drafts')));
  if (data.drafts.length === 0) drafts.append(el('p', {}, t('no_drafts')));
  else drafts.append(el('ul', {class: 'rows'}, data.drafts.map((d) => el('li', {class: 'draft'},
    el('span', {class: 'what'}, d.title, ' · ', String(d.answers), ' ', t('answers'), ' · ', when(d.updated_ms)),
    d.note ? el('p', {class: 'note'}, d.note) : null,
    el('a', {class: 'button', href: '#/fill/' + d.id}, t('resume')),
    el('button', {onclick: async () => { await api('DELETE', '/drafts/' + d.id); route(); }}, t('delete'))))));

  const records = el('section', {'aria-labelledby': 'records-h'}, el('h2', {id: 'records-h'}, t('records')));
  if (data.records.length === 0) records.append(el('p', {}, t('no_records')));
  else records.append(el('ul', {class: 'rows'}, data.records.map((r) => el('li', {class: 'record state-' + r.state},
    el('a', {href: '#/record/' + r.id}, r.title), ' ',
    el('span', {class: 'badge'}, t('state.' + r.state)), ' ', el('span', {class: 'muted'}, when(r.updated_ms)),
    r.state === 'sent_back' && r.comment ? el('p', {class: 'sentback'}, el('strong', {}, t('comment') + ': '),
      r.comment, r.review_by ? ' — ' + r.review_by : '') : null))));

  const sync = data.enrolled && data.unlocked ? syncBox() : null;
  show(heading(t('home')), data.unlocked ? null : unlockBox(route), sync, forms, drafts, records);
}

// The Sync button and, when it ends, a plain summary of what happened.
function syncBox() {
  const result = el('p', {class: 'sync-result', role: 'status'});
  const button = el('button', {class: 'primary', id: 'sync', onclick: async () => {
    button.disabled = true;
    result.textContent = t('syncing');
    const r = await api('POST', '/sync');
    button.disabled = false;
    if (r.status !== 200) {
      result.textContent = (r.data.error === 'unreachable' ? t('sync_unreachable') : t('sync_failed')) + ' ' + (r.data.message || '');
      return;
    }
    await home();
    const again = main().querySelector('.sync-result');
    if (again) again.textContent = t('sync_done', r.data.sent, r.data.received, r.data.sent_back);
  }}, t('sync'));
  return el('div', {class: 'sync'}, button, result);
}

// --- a record, the laptop ------------------------------------------------------------

export async function record(id, saved) {
  const r = await api('GET', '/records/' + id);
  if (r.status !== 200) return show(heading(t('no_such_page')));
  const d = r.data;
  show(saved ? el('p', {class: 'ok', role: 'status'}, t('saved')) : null, heading(d.title),
    el('p', {}, el('span', {class: 'badge state-' + d.state}, t('state.' + d.state)), ' ', el('span', {class: 'muted'}, when(d.updated_ms))),
    d.comment ? el('p', {class: d.state === 'sent_back' ? 'sentback' : 'note'}, el('strong', {}, t('comment') + ': '), d.comment) : null,
    el('table', {class: 'summary'}, el('tbody', {}, (d.answers || []).map((a) => el('tr', {},
      el('th', {scope: 'row'}, a.label + (a.instance ? ' [' + a.instance + ']' : '')), el('td', {}, a.answer))))),
    el('div', {class: 'actions'}, el('a', {class: 'button', href: '#/'}, t('home')),
      el('button', {class: 'primary', id: 'edit', onclick: async () => {
        const e = await api('POST', '/records/' + id + '/edit');
        if (e.status === 201) location.hash = '#/fill/' + e.data.draft;
      }}, t('edit'))));
}

export async function laptop() {
  const {data} = await api('GET', '/laptop');
  show(heading(t('laptop')), el('dl', {class: 'facts'},
    el('dt', {}, t('fingerprint')), el('dd', {class: 'fingerprint'}, data.fingerprint),
    el('dt', {}, t('server')), el('dd', {}, data.server || t('not_enrolled')),
    el('dt', {}, t('receipts')), el('dd', {}, String(data.receipts)),
    el('dt', {}, t('last_sync')), el('dd', {}, data.last_sync_ms ? when(data.last_sync_ms) : t('never'))),
  data.unlocked ? el('button', {id: 'lock', onclick: async () => { await api('POST', '/lock'); route(); }}, t('lock'))
    : unlockBox(route));
}

