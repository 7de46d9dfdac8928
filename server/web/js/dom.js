// Building the page without ever parsing HTML. Every value from a record,
// a user name or a comment becomes a text node, so nothing in them can run:
// there is no innerHTML, no template string turned into markup, anywhere in
// the dashboard (tests/browser/static_checks.mjs fails the build if one
// appears).

const SVG_NS = 'http://www.w3.org/2000/svg';

// Links may only go to this dashboard or its API: never javascript:, data:
// or another site, whatever a record holds.
function safeUrl(value) {
  const s = String(value);
  if (s.startsWith('#') || (s.startsWith('/') && !s.startsWith('//'))) return s;
  throw new Error('refusing a link outside the dashboard: ' + s);
}

function setProps(el, props) {
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'on') {
      for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    } else if (name === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (name === 'dataset') {
      for (const [k, v] of Object.entries(value)) el.dataset[k] = v;
    } else if (name.startsWith('on')) {
      throw new Error('event handlers go in props.on, not as attributes: ' + name);
    } else if (name === 'href' || name === 'src' || name === 'action' || name === 'xlink:href') {
      el.setAttribute(name, safeUrl(value));
    } else if (name === 'value' && 'value' in el) {
      el.value = value;
    } else if (name === 'checked' || name === 'selected' || name === 'disabled') {
      el[name] = Boolean(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// h('a', {href: '#/x', class: 'c', on: {click}}, 'text', child...)
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

// The same for SVG elements (charts).
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}
