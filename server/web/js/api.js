// The dashboard talks to dala-server only through the documented API
// (server/API.md): anything it does, a script can do.

let csrfToken = '';

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function setCsrfToken(token) {
  csrfToken = token || '';
}

// Calls `path` (under /api/v1) and returns the parsed JSON answer, or throws
// ApiError with the server's error code. A 401 anywhere means the session
// ended: the app goes back to the sign-in page.
export async function api(method, path, body) {
  const headers = {Accept: 'application/json'};
  const init = {method, headers, credentials: 'same-origin', cache: 'no-store'};
  if (method !== 'GET' && method !== 'HEAD') {
    headers['X-CSRF-Token'] = csrfToken;
    if (body instanceof Blob) {
      // A file as it is (an XLSForm to publish): the server reads its bytes.
      headers['Content-Type'] = body.type || 'application/octet-stream';
      init.body = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch('/api/v1' + path, init);
  } catch (e) {
    throw new ApiError(0, 'network', e.message);
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (!res.ok) {
    const err = json && json.error ? json.error : {code: 'http_' + res.status, message: text.slice(0, 200)};
    const e = new ApiError(res.status, err.code, err.message, Number(res.headers.get('Retry-After') || 0));
    if (res.status === 401 && path !== '/login') window.dispatchEvent(new CustomEvent('dala:signed-out'));
    throw e;
  }
  return json;
}

// A query string from the defined, non-empty values of `params`.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, v === true ? '1' : String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
