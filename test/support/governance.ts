/** What a court does before a broadcast, through the HTTP API of any running Courtcast. */

type Call = <T>(method: string, path: string, body?: unknown, token?: string) => Promise<{ status: number; body: T }>;

/** An API caller for a server at `base`, acting as `token` unless told otherwise. */
export function caller(base: string, token: string): Call {
  return async <T>(method: string, p: string, body?: unknown, as = token) => {
    const res = await fetch(`${base}${p}`, { method, headers: { authorization: `Bearer ${as}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text) as T };
  };
}

/** Signs in; throws when refused. */
export async function signIn(base: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

/**
 * The approver of a court (made on first use); returns their token. Approver rights take two
 * people: the admin asks, and a supervisor (made here on first use) confirms.
 */
export async function approverToken(base: string, adminToken: string, courtId: string): Promise<string> {
  const username = `approver-${courtId.slice(-8).toLowerCase()}`;
  const password = `${username}-password`;
  const admin = caller(base, adminToken);
  const made = await admin<{ id: string; pendingGrant?: unknown }>('POST', '/api/users', { username, password, roles: ['approver'], courtIds: [courtId] });
  if (made.status === 201) {
    const confirmed = await admin('POST', `/api/users/${made.body.id}/approver-grant`, { outcome: 'confirmed' }, await witnessToken(base, adminToken));
    if (confirmed.status !== 200) throw new Error(`could not confirm the approver: ${JSON.stringify(confirmed.body)}`);
  } else if (made.status !== 409) throw new Error(`could not make an approver: ${JSON.stringify(made.body)}`);
  return signIn(base, username, password);
}

/** Each server's witness token (by its address and admin, since a port is reused by later servers): signing in once per server keeps a file under the login rate limit. */
const witnesses = new Map<string, Promise<string>>();

/** A supervisor who confirms approver grants in tests (made by the admin on first use); returns their token. */
export function witnessToken(base: string, adminToken: string): Promise<string> {
  const key = `${base} ${adminToken}`;
  const known = witnesses.get(key);
  if (known) return known;
  const token = (async () => {
    const username = 'grant-witness';
    const password = `${username}-password`;
    const made = await caller(base, adminToken)('POST', '/api/users', { username, password, roles: ['supervisor'] });
    if (made.status !== 201 && made.status !== 409) throw new Error(`could not make the witness: ${JSON.stringify(made.body)}`);
    return signIn(base, username, password);
  })();
  // A failed sign-in is not kept: the next caller tries again.
  token.catch(() => witnesses.delete(key));
  witnesses.set(key, token);
  return token;
}

/**
 * The admin files an application for the live broadcast and the replay; the court's approver
 * approves it and signs off the confidentiality review.
 */
export async function clearHearing(base: string, adminToken: string, courtId: string, hearingId: string): Promise<void> {
  const api = caller(base, adminToken);
  const approver = await approverToken(base, adminToken, courtId);
  const filed = await api<{ applications: { id: string }[] }>('POST', `/api/hearings/${hearingId}/applications`, { scopes: ['live', 'replay'], grounds: 'public interest' });
  if (filed.status !== 201) throw new Error(`could not apply: ${JSON.stringify(filed.body)}`);
  const appId = filed.body.applications.at(-1)?.id;
  const steps = [
    await api('POST', `/api/hearings/${hearingId}/applications/${appId}/decision`, { outcome: 'approved', reason: 'in the public interest' }, approver),
    await api('POST', `/api/hearings/${hearingId}/reviews`, { checklist: { personalData: true, minors: true, masks: true } }, approver),
  ];
  const failed = steps.find((r) => r.status >= 300);
  if (failed) throw new Error(`could not clear the hearing: ${JSON.stringify(failed.body)}`);
}
