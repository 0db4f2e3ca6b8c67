import type { AuditActor, AuditTrail } from '../../audit/trail.ts';
import type { EncoderSource } from '../../ingest/ingest.ts';
import type { ReleaseRecord } from '../../delay/delay-line.ts';
import type { LiveHearing } from './live-hearing.ts';

const SYSTEM: AuditActor = { kind: 'system' };

/** Puts an entry on a hearing's record; false only when not even the local spool took it. */
export type Recorder = (hearingId: string, input: Parameters<AuditTrail['append']>[1]) => Promise<boolean>;

/**
 * Puts what happens to a live hearing by itself on its audit record: encoder connects and drops,
 * FFmpeg restarts, what airs (recorded when it changes, not for every segment) and the end of the
 * public playlist. `changed` is told whenever a console would show something new.
 */
export function auditLiveHearing(session: LiveHearing, record: Recorder, changed: () => void, now: () => number, source: () => EncoderSource | null = () => null): void {
  const id = session.hearing.id;
  let lastOutcome: ReleaseRecord['outcome'] | null = null;
  session.on('encoder', (state) => {
    // The record says when the master is not what the encoder sent, and how it was made.
    const how = state === 'connected' ? source() : null;
    void record(id, { actor: SYSTEM, action: `encoder-${state}`, ...(how ? { params: { via: how.via, transcoded: how.transcoded, keptAsReceived: how.keptAsReceived } } : {}), effectiveAt: now() });
    changed();
  });
  // A further camera's comings and goings explain the holes in its recording.
  session.on('source', (name, state) => {
    void record(id, { actor: SYSTEM, action: `source-${state}`, params: { source: name }, effectiveAt: now() });
    changed();
  });
  session.on('ffmpeg', (e) => {
    const action = e.restarting ? 'ffmpeg-restarting' : 'ffmpeg-stopped';
    void record(id, { actor: SYSTEM, action, params: { role: e.role, ...(e.source ? { source: e.source } : {}), run: e.run, code: e.code, signal: e.signal, ...(e.storageFault ? { storageFault: true } : {}) }, effectiveAt: now() });
  });
  session.on('released', (r) => {
    if (r.outcome === lastOutcome) return;
    lastOutcome = r.outcome;
    changed();
    const action = r.outcome === 'aired' ? 'picture-aired' : 'slate-aired';
    void record(id, { actor: SYSTEM, action, params: { slate: r.outcome === 'aired' ? null : r.outcome, why: r.reason, seq: r.seq }, effectiveAt: r.captureStart });
  });
  session.on('load', (e) => {
    void record(id, { actor: SYSTEM, action: e.state === 'falling-behind' ? 'transcoder-falling-behind' : 'transcoder-keeping-up', params: { backlogMs: Math.round(e.backlogMs) }, effectiveAt: now() });
    changed();
  });
  session.on('shed', (e) => {
    void record(id, { actor: SYSTEM, action: e.shed ? 'overload-shed' : 'overload-restored', params: { step: e.step.gives, instead: e.step.instead, backlogMs: Math.round(e.backlogMs) }, effectiveAt: now() });
    changed();
  });
  session.on('drainCutShort', (e) => {
    void record(id, { actor: SYSTEM, action: 'end-drain-cut-short', params: { airedUntil: e.airedUntil === null ? null : new Date(e.airedUntil).toISOString(), endAt: new Date(e.endAt).toISOString(), limitMs: e.limitMs }, effectiveAt: e.airedUntil ?? e.endAt });
  });
  session.on('finished', () => {
    void record(id, { actor: SYSTEM, action: 'playlist-ended', effectiveAt: now() });
    changed();
  });
}
