// Forms: every version published, with its project and whether laptops
// still receive it, as an XLSForm to edit and as the document laptops
// receive; an administrator publishes an XLSForm (or a form document) here
// and retires a version. The server converts the
// spreadsheet (POST /api/v1/forms), as `dala-server form publish` does.

import {api} from '../api.js';
import {h, replace} from '../dom.js';
import {formDocument, forgetPublishedForms, text} from '../forms.js';
import {formatDateTime, t} from '../i18n.js';
import {confirmFirst, errorText, field} from '../widgets.js';

function publishForm(app, project) {
  const file = h('input', {id: 'form-file', type: 'file', accept: '.xlsx,.json', required: true});
  const projectInput = h('input', {id: 'form-project', value: project, required: true, autocomplete: 'off'});
  const shown = h('div', {'aria-live': 'polite'});
  const button = h('button', {type: 'submit', class: 'primary'}, t('forms.publish_button'));
  return h('form', {class: 'panel', id: 'publish-form', on: {submit: async (e) => {
    e.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return replace(shown, h('p', {class: 'notice error'}, t('forms.choose_file')));
    button.disabled = true;
    try {
      const q = new URLSearchParams({project: projectInput.value.trim(), file: chosen.name});
      const done = await api('POST', '/forms?' + q, chosen);
      forgetPublishedForms();
      app.announce(t('forms.published', {form: done.form, version: done.version}), 'ok');
      await app.refresh();
      // The conversion's notes stay readable under the list it refreshed.
      const notes = document.getElementById('publish-notes');
      if (notes && done.warnings && done.warnings.length) {
        replace(notes, h('p', null, t('forms.warnings')), h('ul', {class: 'problem-lines'},
            done.warnings.map((w) => h('li', null, w))));
      }
    } catch (err) {
      // The converter's words: a line per row that stops the spreadsheet.
      const lines = String(err.message || '').split('\n').filter((l) => l.trim() !== '');
      replace(shown, h('div', {class: 'notice error', role: 'alert'}, h('p', null, t('forms.not_published')),
          err.code === 'invalid_form' && lines.length > 1 ?
            h('ul', {class: 'problem-lines'}, lines.slice(1).map((l) => h('li', null, l))) : h('p', null, errorText(err))));
    } finally {
      button.disabled = false;
    }
  }}},
  h('h2', null, t('forms.publish')),
  h('div', {class: 'filters'}, field(t('forms.file'), file, t('forms.file_hint')), field(t('forms.project'), projectInput)),
  button, shown, h('div', {id: 'publish-notes'}));
}

// Retiring, in two steps: the confirming button says what it does.
function retireControl(f, app) {
  const confirm = h('button', {type: 'button', class: 'danger primary', on: {click: async () => {
    try {
      await api('POST', `/forms/${encodeURIComponent(f.hash)}/retire`);
      forgetPublishedForms();
      app.announce(t('forms.retired_done', {form: f.form, version: f.version}), 'ok');
      app.refresh();
    } catch (err) {
      app.announce(errorText(err), 'error');
    }
  }}}, t('forms.confirm_retire'));
  return confirmFirst(t('forms.retire'), h('span', null, confirm), confirm);
}

export async function render(main, params, app) {
  const {forms} = await api('GET', '/forms');
  document.title = t('nav.forms') + ' · Dala';
  // Newest first; the titles come from the documents (cached by hash).
  forms.sort((a, b) => b.published_ms - a.published_ms);
  const docs = await Promise.all(forms.map((f) => formDocument(f.hash).catch(() => null)));
  const admin = app.session.can_administer;
  const project = forms.length ? forms[0].project : 'default';
  replace(main,
      h('h1', null, t('nav.forms')),
      admin ? publishForm(app, project) : h('p', {class: 'hint'}, t('forms.admins_publish')),
      h('h2', null, t('forms.list')),
      forms.length ? h('div', {class: 'table-wrap'}, h('table', {class: 'list', id: 'forms'},
          h('thead', null, h('tr', null, ['forms.form', 'forms.version', 'forms.project', 'forms.published_on',
            'forms.status'].map((k) => h('th', {scope: 'col'}, t(k))))),
          h('tbody', null, forms.map((f, i) => h('tr', {class: f.retired_ms ? 'revoked' : '', dataset: {hash: f.hash}},
              // Its title, its id, and the document as published (what laptops receive).
              h('th', {scope: 'row', class: 'wrap'}, docs[i] ? text(docs[i], docs[i].title) : f.form, h('br'),
                h('span', {class: 'mono hint'}, f.form), ' · ', h('a', {href: `/api/v1/forms/${encodeURIComponent(f.hash)}/xlsform`,
                  download: '', class: 'hint xlsform'}, 'XLSForm'), ' · ', h('a', {href: `/api/v1/forms/${encodeURIComponent(f.hash)}`,
                  download: `${f.form}-${f.version}.json`, class: 'hint'}, t('forms.document') + ' (JSON)')),
              h('td', null, f.version), h('td', null, f.project),
              h('td', null, formatDateTime(f.published_ms)),
              h('td', {class: 'wrap'}, f.retired_ms ?
                t('forms.retired', {when: formatDateTime(f.retired_ms), who: f.retired_by}) :
                [t('forms.in_use'), ' ', admin ? retireControl(f, app) : null])))))) :
        h('p', {class: 'empty'}, t('forms.none')));
}
