// Home, a record, and the laptop's page.
import {t} from './i18n.js';
import {api, el, heading, main, show, shown, summaryShown, unlockBox, when} from './dom.js';
import {startForm} from './fill.js';
import {route} from './app.js';

// --- home ----------------------------------------------------------------------

export async function home() {
  const {data} = await api('GET', '/home');
  if (data.setup) return setUp();
  const forms = el('section', {'aria-labelledby': 'forms-h'}, el('h2', {id: 'forms-h'}, t('forms')));
  if (!data.forms || data.forms.length === 0) forms.append(el('p', {}, t('no_forms')));
  else forms.append(el('ul', {class: 'cards'}, data.forms.map((f) => el('li', {},
    el('button', {class: 'primary big', 'data-form': f.id, onclick: () => startForm(f.id)}, t('start') + ': ' + f.title)))));

  const drafts = el('section', {'aria-labelledby': 'drafts-h'}, el('h2', {id: 'drafts-h'}, t('drafts')));
  if (data.drafts.length === 0) drafts.append(el('p', {}, t('no_drafts')));
  else drafts.append(el('ul', {class: 'rows'}, data.drafts.map((d) => el('li', {class: 'draft'},
    el('span', {class: 'what'}, el('strong', {}, d.title), d.summary ? ' · ' + summaryShown(d.summary) : '',
      el('br'), el('span', {class: 'muted'}, String(d.answers), ' ', t('answers'), ' · ', when(d.updated_ms))),
    d.note ? el('p', {class: 'note'}, d.note) : null,
    el('a', {class: 'button', href: '#/fill/' + d.id}, t('resume')),
    el('button', {onclick: async () => { await api('DELETE', '/drafts/' + d.id); route(); }}, t('delete'))))));

  const records = el('section', {'aria-labelledby': 'records-h'}, el('h2', {id: 'records-h'}, t('records')));
  if (data.records.length === 0) records.append(el('p', {}, t('no_records')));
  else records.append(el('ul', {class: 'rows'}, data.records.map((r) => el('li', {class: 'record state-' + r.state},
    // Title, centre and date: the link names the record, not just its form.
    el('span', {class: 'what'}, el('a', {href: '#/record/' + r.id}, r.title, r.summary ? ' · ' + summaryShown(r.summary) : ''),
      el('br'), el('span', {class: 'muted'}, when(r.created_ms))),
    el('span', {class: 'badge'}, t('state.' + r.state)),
    r.state === 'sent_back' && r.comment ? el('p', {class: 'sentback'}, el('strong', {}, t('comment') + ': '),
      r.comment, r.review_by ? ' — ' + r.review_by : '') : null))));

  const sync = data.enrolled && data.unlocked ? syncBox(data.syncing) : null;
  // The forms come from the server, and the records go there.
  const enrol = data.enrolled ? null : el('p', {class: 'next-step'}, t('not_enrolled_yet'), ' ',
    el('a', {class: 'button primary', id: 'go-enrol', href: '#/laptop'}, t('enrol_on_laptop')));
  show(heading(t('home')), warningsBox(data.warnings), data.unlocked ? null : unlockBox(route), enrol, sync, forms,
    drafts, records);
}

// A new laptop (`dala ui` made its profile): the key, sealed under a
// passphrase typed twice, after the warning `dala init` gives.
function setUp() {
  const chosen = el('input', {type: 'password', id: 'new-passphrase', autocomplete: 'new-password', required: ''});
  const repeated = el('input', {type: 'password', id: 'repeat-passphrase', autocomplete: 'new-password', required: ''});
  const message = el('p', {class: 'error', role: 'alert'});
  const button = el('button', {type: 'submit', class: 'primary', id: 'create-key'}, t('create_key'));
  const form = el('form', {class: 'setup', onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    message.textContent = '';
    const r = await api('POST', '/setup', {passphrase: chosen.value, repeated: repeated.value});
    button.disabled = false;
    if (r.status === 201) {
      chosen.value = repeated.value = '';
      // On to the Laptop page, to enrol; drawn here when it is the page
      // already asked for (no hash change would draw it).
      if (location.hash === '#/laptop') return laptop();
      location.hash = '#/laptop';
      return;
    }
    message.textContent = r.data.error === 'passphrases_differ' ? t('passphrases_differ')
      : r.data.error === 'passphrase_too_short' ? t('passphrase_too_short') : t('failed') + ': ' + (r.data.message || '');
  }},
  el('label', {for: 'new-passphrase'}, t('new_passphrase')), chosen,
  el('label', {for: 'repeat-passphrase'}, t('repeat_passphrase')), repeated, button, message);
  show(heading(t('setup')), el('p', {}, t('setup_intro')), el('p', {class: 'warning'}, t('setup_forget')), form);
}

// Why to sync soon, or to check the clock before saving another record.
function warningsBox(warnings) {
  if (!warnings || warnings.length === 0) return null;
  return el('div', {class: 'warnings', role: 'alert'}, warnings.map((w) => el('p', {class: 'warning warning-' + w.kind},
    w.kind === 'not_synced' ? t(w.ever_synced ? 'warn_not_synced' : 'warn_never_synced', w.days, w.waiting)
      : t('warn_clock.' + w.doubt, when(w.now_ms), when(w.reference_ms)))));
}

// The Sync button: the sync runs in `dala ui` while the page shows its
// progress, and a plain summary when it ends.
function syncBox(running) {
  const result = el('p', {class: 'sync-result', role: 'status'});
  const button = el('button', {class: 'primary', id: 'sync', onclick: async () => {
    button.disabled = true;
    result.classList.remove('failed');
    result.textContent = t('syncing');
    const r = await api('POST', '/sync');
    if (r.status !== 202 && r.status !== 200) {
      button.disabled = false;
      result.textContent = syncError(r.data);
      result.classList.add('failed');
      return;
    }
    follow(button, result, r.data);
  }}, t('sync'));
  if (running) follow(button, result, {running: true, sent: 0, to_send: 0, received: 0});
  return el('div', {class: 'sync'}, button, result);
}

// The laptop's own words for what went wrong (those `dala sync` prints), and
// "try again later" only where that can help (the answer says which).
function syncError(answer) {
  if (answer.error === 'sync_running') return t('sync_running');
  const words = t('sync_failed') + ' ' + (answer.message || '');
  return answer.error === 'unreachable' ? words + '. ' + t('sync_try_again') : words;
}

// Asks how the sync goes until it ends; Home, drawn again, shows the summary.
async function follow(button, result, state) {
  button.disabled = true;
  while (state.running) {
    result.textContent = state.to_send || state.received ? t('sync_progress', state.sent, state.to_send, state.received)
      : t('syncing');
    await new Promise((done) => setTimeout(done, 400));
    if (!button.isConnected) return;  // the volunteer went elsewhere; Home asks again when shown
    state = (await api('GET', '/sync')).data;
  }
  const last = state.last || {status: 0, answer: {}};
  if (last.status !== 200) {
    button.disabled = false;
    result.textContent = syncError(last.answer);
    result.classList.add('failed');
    return;
  }
  await home();
  const again = main().querySelector('.sync-result');
  if (again) {
    again.textContent = t('sync_done', last.answer.sent, last.answer.received, last.answer.sent_back) +
      (last.answer.forms > 0 ? ' ' + t('sync_forms', last.answer.forms) : '');
    again.classList.add('done');
  }
}

// --- a record, the laptop ------------------------------------------------------------

export async function record(id, saved) {
  const r = await api('GET', '/records/' + id);
  if (r.status !== 200) return show(heading(t('no_such_page')));
  const d = r.data;
  show(saved ? el('p', {class: 'ok', role: 'status'}, t('saved')) : null, heading(d.title),
    d.summary ? el('p', {class: 'form-title'}, summaryShown(d.summary)) : null,
    el('p', {}, el('span', {class: 'badge state-' + d.state}, t('state.' + d.state)), ' ', el('span', {class: 'muted'}, when(d.updated_ms))),
    d.comment ? el('p', {class: d.state === 'sent_back' ? 'sentback' : 'note'}, el('strong', {}, t('comment') + ': '), d.comment) : null,
    el('table', {class: 'summary'}, el('tbody', {}, (d.answers || []).map((a) => el('tr', {},
      el('th', {scope: 'row'}, a.label + (a.instance ? ' [' + a.instance + ']' : '')), el('td', {}, shown(a.answer)))))),
    historyBox(d.history),
    el('div', {class: 'actions'}, el('a', {class: 'button', href: '#/'}, t('home')),
      el('button', {class: 'primary', id: 'edit', onclick: async () => {
        const e = await api('POST', '/records/' + id + '/edit');
        if (e.status === 201) location.hash = '#/fill/' + e.data.draft;
      }}, t('edit'))));
}

// Every revision (who, when, which answers changed) and every decision
// on the record, oldest first.
function historyBox(history) {
  if (!history || history.length === 0) return null;
  return el('section', {'aria-labelledby': 'history-h'}, el('h2', {id: 'history-h'}, t('history')),
    el('ol', {class: 'history'}, history.map((h) => el('li', {class: 'kind-' + h.kind + (h.who ? ' who-' + h.who : '')},
      el('p', {class: 'who'}, el('strong', {}, historyWho(h)), ' · ', when(h.when_ms),
        h.received_ms ? el('span', {class: 'muted'}, ' · ' + t('history_received', when(h.received_ms))) : null),
      h.first ? el('p', {}, t('history_created')) : null,
      h.note ? el('p', {class: 'note'}, h.note) : null,
      h.comment ? el('p', {class: h.state === 'has_issues' ? 'sentback' : 'note'}, h.comment) : null,
      h.changes && h.changes.length > 0 ? el('table', {class: 'summary changes'},
        el('thead', {}, el('tr', {}, el('th', {scope: 'col'}, t('question')), el('th', {scope: 'col'}, t('history_was')),
          el('th', {scope: 'col'}, t('history_now')))),
        el('tbody', {}, h.changes.map((c) => el('tr', {}, el('th', {scope: 'row'}, c.label),
          el('td', {class: 'old'}, shown(c.old) || '—'), el('td', {class: 'new'}, shown(c.new) || '—'))))) : null,
      h.changes && h.changes.length === 0 ? el('p', {class: 'muted'}, t('history_unchanged')) : null))));
}

function historyWho(h) {
  if (h.kind === 'review') return t('history_review', h.by) + ': ' + t('review.' + h.state);
  if (h.kind === 'duplicate') return t('history_duplicate', h.by) + ': ' + t('duplicate.' + h.decision);
  if (h.who === 'coordinator') return t('history_coordinator', h.by);
  return t('who.' + h.who);
}

export async function laptop(done) {
  const {data} = await api('GET', '/laptop');
  if (data.setup) return setUp();
  const enrol = data.server ? null : data.unlocked ? enrolBox() : null;
  show(done ? el('p', {class: 'ok', role: 'status'}, done) : null, heading(t('laptop')), enrol, el('dl', {class: 'facts'},
    el('dt', {}, t('fingerprint')), el('dd', {class: 'fingerprint'}, data.fingerprint),
    el('dt', {}, t('server')), el('dd', {}, data.server || t('not_enrolled')),
    el('dt', {}, t('receipts')), el('dd', {}, String(data.receipts),
      // The files `dala receipts --export` writes, in one zip, for an auditor.
      data.receipts > 0 ? el('div', {class: 'download'}, el('a', {class: 'button', id: 'receipts-zip',
        href: '/api/receipts.zip', download: ''}, t('export_receipts')), el('p', {class: 'muted'},
        t('export_receipts_hint'))) : null),
    el('dt', {}, t('last_sync')), el('dd', {}, data.last_sync_ms ? when(data.last_sync_ms) : t('never')),
    // `dala backup` for a laptop without a terminal: the file to keep on a USB stick.
    data.unlocked ? [el('dt', {}, t('backup')), el('dd', {}, el('div', {class: 'download'}, el('a', {class: 'button',
      id: 'backup', href: '/api/backup', download: ''}, t('backup_download')), el('p', {class: 'muted'},
      t('backup_hint'))))] : null),
  data.unlocked ? el('button', {id: 'lock', onclick: async () => { await api('POST', '/lock'); route(); }}, t('lock'))
    : unlockBox(route));
}

// `dala enroll URL CODE` on the page: the address and the one-time code
// the coordinator gave; the server's refusal in the words `dala enroll`
// would print.
function enrolBox() {
  const url = el('input', {type: 'text', id: 'server-url', inputmode: 'url', autocomplete: 'url', spellcheck: 'false',
    placeholder: 'https://', required: ''});
  const code = el('input', {type: 'text', id: 'enrol-code', autocomplete: 'off', spellcheck: 'false',
    autocapitalize: 'characters', placeholder: 'K7MX-Q4TR-P2NW', required: ''});
  // An office server's own certificate authority (`dala-server tls init`).
  const ca = el('input', {type: 'file', id: 'enrol-ca', accept: '.pem,.crt,.cer'});
  const message = el('p', {class: 'error', role: 'alert'});
  const button = el('button', {type: 'submit', class: 'primary', id: 'enrol'}, t('enrol'));
  return el('form', {class: 'enrol', 'aria-labelledby': 'enrol-h', onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    message.textContent = t('enrolling');
    const pem = ca.files.length > 0 ? await ca.files[0].text() : '';
    const r = await api('POST', '/enroll', {url: url.value, code: code.value, ca_pem: pem});
    button.disabled = false;
    if (r.status === 200) return laptop(t('enrolled_as', r.data.server, r.data.volunteer));
    message.textContent = r.data.error === 'url_and_code' ? t('enrol_needs_both')
      : r.data.error === 'not_a_certificate' ? t('enrol_not_a_certificate')
      // `dala enroll`'s words name its --ca; here it is the file field.
      : r.data.reason === 'tls_untrusted' ? t('enrol_failed') + ': ' + t('enrol_untrusted')
      : t('enrol_failed') + ': ' + (r.data.message || r.data.error) + (r.data.again ? '. ' + t('enrol_again') : '');
  }},
  el('h2', {id: 'enrol-h'}, t('enrol_title')), el('p', {}, t('enrol_hint')),
  el('label', {for: 'server-url'}, t('server_url')), url,
  el('label', {for: 'enrol-code'}, t('enrol_code')), code,
  el('label', {for: 'enrol-ca'}, t('enrol_ca')), ca, button, message);
}
