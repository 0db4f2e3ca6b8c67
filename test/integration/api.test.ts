import { request } from 'node:http';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_BROADCAST_COMMANDS } from '../../server/domain/commands.ts';
import { EventStream } from '../support/event-stream.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

interface Problem {
  status: number;
  code: string;
  errors?: { path: string; message: string }[];
}

describe('HTTP API: validation, errors and the public view', () => {
  let s: TestServer;
  let seeded: Awaited<ReturnType<typeof seedHearing>>;

  beforeAll(async () => {
    s = await startTestServer();
    seeded = await seedHearing(s);
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  });

  /** Expects a problem+json answer with the given status and code. */
  async function expectProblem(method: string, path: string, body: unknown, status: number, code: string): Promise<Problem> {
    const res = await s.api<Problem>(method, path, body);
    expect(res.status, `${method} ${path} ${JSON.stringify(body)} -> ${JSON.stringify(res.body)}`).toBe(status);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.code).toBe(code);
    expect(res.body.status).toBe(status);
    return res.body;
  }

  it('rejects malformed bodies with 400 and names every bad field', async () => {
    const p = await expectProblem('POST', '/api/hearings', { title: 5, caseType: 'murder' }, 400, 'VALIDATION_FAILED');
    const paths = p.errors?.map((e) => e.path) ?? [];
    for (const f of ['courtroomId', 'caseNumber', 'title', 'caseType', 'scheduledStart', 'isPublic']) expect(paths).toContain(f);
    await expectProblem('POST', '/api/courts', '{"name": ', 400, 'VALIDATION_FAILED');
    await expectProblem('POST', '/api/courts', { name: 'X', extra: true }, 400, 'VALIDATION_FAILED');
    await expectProblem('POST', '/api/courts', { name: 'X', timezone: 'Mars/Olympus' }, 400, 'VALIDATION_FAILED');
    await expectProblem('POST', '/api/courts', { name: 'x'.repeat(40_000) }, 400, 'VALIDATION_FAILED');
    await expectProblem('POST', '/api/courts', [1, 2, 3], 400, 'VALIDATION_FAILED');
  });

  it('rejects wrong types and bad dates', async () => {
    const base = { courtroomId: seeded.courtroomId, caseNumber: 'A', title: 'B', caseType: 'civil', scheduledStart: new Date().toISOString(), isPublic: true };
    await expectProblem('POST', '/api/hearings', { ...base, delaySeconds: '10' }, 400, 'VALIDATION_FAILED');
    await expectProblem('POST', '/api/hearings', { ...base, isPublic: 'yes' }, 400, 'VALIDATION_FAILED');
    await expectProblem('POST', '/api/hearings', { ...base, scheduledStart: 'tomorrow' }, 400, 'VALIDATION_FAILED');
    await expectProblem('POST', '/api/hearings', { ...base, delaySeconds: null }, 400, 'VALIDATION_FAILED');
  });

  it('rejects a delay outside the policy with 422', async () => {
    const base = { courtroomId: seeded.courtroomId, caseNumber: 'A', title: 'B', caseType: 'civil', scheduledStart: new Date().toISOString(), isPublic: true };
    await expectProblem('POST', '/api/hearings', { ...base, delaySeconds: 1 }, 422, 'DELAY_OUT_OF_RANGE');
    await expectProblem('POST', '/api/hearings', { ...base, delaySeconds: 1801 }, 422, 'DELAY_OUT_OF_RANGE');
    const ok = await s.api('POST', '/api/hearings', { ...base, delaySeconds: 1800 });
    expect(ok.status).toBe(201);
  });

  it('rejects bad ids with 400 and unknown ones with 404', async () => {
    await expectProblem('GET', '/api/hearings/../../etc', undefined, 404, 'NOT_FOUND');
    await expectProblem('GET', '/api/hearings/not-an-id', undefined, 400, 'VALIDATION_FAILED');
    await expectProblem('GET', '/api/hearings/hg_doesnotexist0000', undefined, 404, 'NOT_FOUND');
    await expectProblem('POST', '/api/courts/nope/courtrooms', { name: 'R' }, 400, 'VALIDATION_FAILED');
    await expectProblem('POST', '/api/courts/ct_doesnotexist0000/courtrooms', { name: 'R' }, 404, 'NOT_FOUND');
    await expectProblem('POST', '/api/hearings', { courtroomId: 'cr_doesnotexist0000', caseNumber: 'A', title: 'B', caseType: 'civil', scheduledStart: new Date().toISOString(), isPublic: true }, 404, 'NOT_FOUND');
  });

  it('rejects unknown commands and commands out of order', async () => {
    await expectProblem('POST', `/api/hearings/${seeded.hearingId}/broadcast/explode`, {}, 400, 'VALIDATION_FAILED');
    await expectProblem('POST', `/api/hearings/${seeded.hearingId}/broadcast/pause`, { reason: 'recess' }, 409, 'INVALID_TRANSITION');
    await expectProblem('POST', `/api/hearings/${seeded.hearingId}/broadcast/pause`, {}, 400, 'VALIDATION_FAILED');
    await expectProblem('POST', `/api/hearings/${seeded.hearingId}/broadcast/cut`, { reason: 7 }, 400, 'VALIDATION_FAILED');
  });

  it('requires a valid session token', async () => {
    for (const auth of [undefined, 'Bearer wrong', 'Basic dGVzdA==', `Bearer ${s.token}x`]) {
      const res = await fetch(`${s.base}/api/hearings`, { headers: auth ? { authorization: auth } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('never answers 500 to garbage', async () => {
    const garbage = ['/api/hearings/%E0%A4%A', '/hls/%', '/public/hearings/%zz', '/api/courts?x[$gt]=1'];
    for (const g of garbage) {
      const res = await fetch(`${s.base}${g}`, { headers: { authorization: `Bearer ${s.token}` } });
      expect(res.status, g).toBeLessThan(500);
    }
    const res = await fetch(`${s.base}/api/courts`, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: '\u0000\u0001' });
    expect(res.status).toBe(400);
  });

  it('shows the public only public hearings, without secrets', async () => {
    const hidden = await seedHearing(s, { isPublic: false });
    const schedule = await fetch(`${s.base}/public/schedule`);
    expect(schedule.status).toBe(200);
    const text = await schedule.text();
    expect(text).toContain(seeded.hearingId);
    expect(text).not.toContain(hidden.hearingId);
    expect(text).not.toContain(seeded.streamKey);
    expect(text).not.toContain('streamKey');
    const one = await fetch(`${s.base}/public/hearings/${hidden.hearingId}`);
    expect(one.status).toBe(404);
    const pub = await fetch(`${s.base}/public/hearings/${seeded.hearingId}`);
    expect(await pub.json()).toMatchObject({ id: seeded.hearingId, status: 'scheduled', playlistUrl: null });
  });

  it('never builds public links from the Host header a client sends', async () => {
    const live = await seedHearing(s);
    expect((await s.api('POST', `/api/hearings/${live.hearingId}/broadcast/open`, {})).status).toBe(200);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${s.base}/public/hearings/${live.hearingId}`, { headers: { host: 'evil.example' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    const view = JSON.parse(body) as { playlistUrl: string };
    expect(view.playlistUrl).toBe(`/hls/hearings/${live.hearingId}/master.m3u8`);
    await s.api('POST', `/api/hearings/${live.hearingId}/broadcast/end`, {});
  });

  it('never opens or starts a hearing heard in private', async () => {
    const hidden = await seedHearing(s, { isPublic: false });
    for (const cmd of ['open', 'start']) {
      const res = await s.api<{ code: string; detail: string }>('POST', `/api/hearings/${hidden.hearingId}/broadcast/${cmd}`, {});
      expect([res.status, res.body.code], cmd).toEqual([409, 'NOT_APPROVED']);
      expect(res.body.detail).toContain('heard in private');
    }
    expect((await fetch(`${s.base}/hls/hearings/${hidden.hearingId}/180p/index.m3u8`)).status).toBe(404);
  });

  it('rotating a key issues a new one', async () => {
    const res = await s.api<{ streamKey: string }>('POST', `/api/courtrooms/${seeded.courtroomId}/rotate-key`, {});
    expect(res.status).toBe(200);
    expect(res.body.streamKey).not.toBe(seeded.streamKey);
    expect(res.body.streamKey.length).toBeGreaterThanOrEqual(16);
  });

  it('documents the API as OpenAPI and answers health checks', async () => {
    const doc = (await (await fetch(`${s.base}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/api/hearings/{id}/broadcast/{command}');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/whip/{id}', '/whip/{id}/{sessionId}', '/whep/{id}', '/whep/{id}/{sessionId}']));
    // Generated from the schemas that validate requests: the commands are the domain's list.
    const command = doc.paths['/api/hearings/{id}/broadcast/{command}'] as { post: { parameters: { name: string; schema: { enum?: string[] } }[] } };
    expect(command.post.parameters.find((p) => p.name === 'command')?.schema.enum).toEqual([...HTTP_BROADCAST_COMMANDS]);
    expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
  });
});

describe('public state streams', () => {
  it('holds a few per address: one more is refused with 429 problem+json until one closes', async () => {
    const t = await startTestServer({}, { maxEventStreamsPerClient: 2 });
    const streams: EventStream[] = [];
    try {
      const { hearingId } = await seedHearing(t);
      const url = `${t.base}/public/hearings/${hearingId}/events`;
      for (let i = 0; i < 2; i++) streams.push(await new EventStream(url).open());
      expect(streams.map((x) => x.status)).toEqual([200, 200]);
      const refused = await fetch(url);
      expect([refused.status, refused.headers.get('retry-after')]).toEqual([429, '30']);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(((await refused.json()) as { code: string }).code).toBe('RATE_LIMITED');
      // Closing one frees its place, as the server sees the socket close.
      streams.shift()?.close();
      const again = await waitFor(async () => {
        const x = await new EventStream(url).open();
        if (x.status === 200) return x;
        x.close();
        return null;
      }, 'a place for a new stream', 5_000, 100);
      streams.push(again);
      await waitFor(() => again.events.length > 0, 'the state on the new stream', 5_000, 50);
    } finally {
      for (const x of streams) x.close();
      await t.close();
    }
  });

  it('gives back what closed streams held: the heap returns to where it was once they close', async () => {
    // The server runs in this process, so a full collection here shows what it still holds.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = async (): Promise<number> => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setImmediate(r));
      }
      return process.memoryUsage().heapUsed;
    };
    const t = await startTestServer({}, { maxEventStreamsPerClient: 1_000 });
    try {
      const { hearingId } = await seedHearing(t);
      const url = `${t.base}/public/hearings/${hearingId}/events`;
      // Warm up every path once (modules, caches), then measure.
      const warm = await new EventStream(url).open();
      await waitFor(() => warm.events.length > 0, 'the first state', 5_000, 50);
      warm.close();
      await elapse(500);
      const before = await heap();
      // As viewers' browsers do, each stream is its own connection, closed for good when it ends.
      const N = 400;
      const rounds: { open: number; after: number }[] = [];
      for (let round = 0; round < 2; round++) {
        const viewers = Array.from({ length: N }, () => {
          const v = { got: false, req: request(url, { agent: false }, (res) => res.on('data', () => void (v.got = true))) };
          v.req.on('error', () => undefined);
          v.req.end();
          return v;
        });
        await waitFor(() => viewers.every((v) => v.got), 'every stream’s first state', 20_000, 100);
        const open = await heap();
        for (const v of viewers) v.req.destroy();
        viewers.length = 0;
        // The server sees each socket close; then nothing of the streams may stay reachable.
        await elapse(2_000);
        rounds.push({ open, after: await heap() });
      }
      const say = `before ${before}; open, then closed: ${rounds.map((r) => `${r.open}, ${r.after}`).join('; ')}`;
      const held = (rounds[0] as { open: number }).open - before;
      expect(held, 'the open streams must cost something, or this measures nothing').toBeGreaterThan(N * 2_000);
      for (const r of rounds) expect(r.after - before, say).toBeLessThan(held * 0.25);
      // Nothing piles up from one crowd to the next.
      expect((rounds[1] as { after: number }).after - (rounds[0] as { after: number }).after, say).toBeLessThan(held * 0.1);
    } finally {
      await t.close();
    }
  }, 60_000);
});
