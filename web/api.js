// The API with the operator's token. The token lives in sessionStorage: this tab only, gone when
// it closes, never in a URL, a cookie or a log; it goes out only in the Authorization header.
const KEY = 'kms-token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(path, { as = 'json', bearer = token.get() } = {}) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${bearer ?? ''}` }, cache: 'no-store', credentials: 'omit' });
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      msg = (await res.json()).error ?? msg;
    } catch {
      /* not JSON */
    }
    if (res.status === 401) window.dispatchEvent(new Event('kms-unauthorized'));
    throw new ApiError(res.status, msg);
  }
  return as === 'text' ? res.text() : res.json();
}
