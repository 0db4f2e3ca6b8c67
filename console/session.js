// What the staff pages share: the element lookup, the signed-in token (kept for the tab only),
// and the call to the staff API that turns an error answer into a message.

import { staffClient } from './staff-api.js';

export const $ = (id) => document.getElementById(id);

export const session = {
  get token() { return sessionStorage.getItem('courtcast.token'); },
  set token(v) { if (v) sessionStorage.setItem('courtcast.token', v); else sessionStorage.removeItem('courtcast.token'); },
};

/**
 * A JSON call to the staff API with the session's token. A 401 (other than at sign-in) signs out
 * through `onSignOut`; other errors reject with the server's `detail`, or `messages[status]`, or
 * what `failed(status)` says (in the page's language).
 */
export function apiCaller({ onSignOut, expired, messages = {}, failed = (status) => `Request failed (${status})` }) {
  return async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: { ...(session.token ? { authorization: `Bearer ${session.token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
    if (res.status === 401 && path !== '/api/auth/login') { onSignOut(); throw new Error(expired); }
    if (!res.ok) throw new Error(data?.detail ?? messages[res.status] ?? failed(res.status));
    return data;
  };
}

/** Signs in from the page's login form; `then` runs once the token is kept. */
export function wireSignIn(api, then) {
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('login-error').textContent = '';
    try {
      const r = await staffClient(api).login({ username: $('username').value, password: $('password').value });
      session.token = r.token;
      await then();
    } catch (err) {
      $('login-error').textContent = err.message;
    }
  });
}

/** Forgets the token and the header's name; the page then shows its sign-in view. */
export function forgetSession() {
  session.token = null;
  $('who').textContent = '';
  $('signout').hidden = true;
}
