import { nextLoadState, type BacklogSample, type LoadState } from '../../domain/overload.ts';
import { nextShedLevel, SHED_ORDER, type Sheddable, type ShedStep } from '../../domain/shedding.ts';
import type { CueRequest } from '../../domain/cue-request.ts';
import type { CaptionTrack, CueAnswer } from './caption-track.ts';
import { TypedEmitter } from '../../domain/events.ts';
import type { Hearing } from '../../domain/courts.ts';
import { CourtcastError } from '../../domain/errors.ts';
import { applyAction, effectiveAt, type BroadcastProgram, type ProgramAction } from '../../domain/program.ts';
import type { DelayLine, ReleaseRecord } from '../../delay/delay-line.ts';
import type { Logger } from '../../domain/logger.ts';
import type { EncoderState, MasterSegment, HearingPipeline } from '../../pipeline/hearing-pipeline.ts';
import type { SourceRole } from '../../pipeline/source-recorder.ts';
import { MAIN_CAMERA } from '../../domain/courts.ts';
import { changedRegions, tilesOf } from '../../domain/arrangements.ts';
import { regionOnProgram, type Layout } from '../../domain/layouts.ts';
import type { Mask, Region } from '../../domain/masks.ts';
import { LatestWriter } from '../../store/latest-writer.ts';
import type { BroadcastCommand } from '../../domain/commands.ts';


/** What a console or the public status endpoint is told about a live hearing. */
export interface LiveStatus {
  readonly hearingId: string;
  readonly phase: BroadcastProgram['phase'];
  readonly delaySeconds: number;
  readonly encoder: EncoderState;
  /** When the encoder was lost, if it is; past the grace window this is an outage. */
  readonly encoderLostAt: string | null;
  readonly encoderOutage: boolean;
  /** Capture time up to which the public timeline is decided. */
  readonly releasedUntil: string;
  readonly finished: boolean;
  /** Whether the program as it stands is saved in the state store (false while the store is down). */
  readonly programSaved: boolean;
  /** Set while the public store refuses writes: the public playlist holds or airs slates. */
  readonly publicStoreFault: string | null;
  /** Whether the transcoder keeps real time (domain/overload.ts). */
  readonly load: LoadState;
  /** The work given up while it does not, in the declared order (domain/shedding.ts). */
  readonly shed: readonly Sheddable[];
}

/** Whether FFmpeg's last words say the disk refused it (full, failing, read-only). */
export function isStorageFault(message: string): boolean {
  return /No space left|ENOSPC|Input\/output error|EIO\b|Read-only file system|Disk quota exceeded/i.test(message);
}

/** What a command leaves behind: the program, and whether the state store has it yet. */
export interface CommandOutcome {
  readonly program: BroadcastProgram;
  /** The capture instant the command took effect from (domain/program.ts `effectiveAt`). */
  readonly effectiveAt: number;
  /**
   * Whether the state store took the change within the wait; otherwise it holds in memory and
   * keeps retrying. A promise, so the caller can put the act on the record meanwhile: the answer
   * then waits for the slower of the two, not for both in turn.
   */
  readonly saved: Promise<boolean>;
}

/** What a live hearing asks of the compositor of its program (pipeline/compositor.ts). */
export interface ProgramSwitcher {
  /** Every camera the program may show. */
  readonly cameras: readonly string[];
  /** The cameras the running composition reads now (not those whose read has ended). */
  readonly reading: readonly string[];
  /** Resolves with the instant from which every frame composed shows the new arrangement. */
  switchTo(layout: Layout, shown: readonly string[], at: number): Promise<number>;
}

/** What a console shows of a composed program: its layout, the cameras in its tiles, and those it may switch to. */
export interface ProgramArrangement {
  readonly layout: Layout;
  readonly cameras: readonly string[];
  readonly available: readonly string[];
  /** What the court calls each further camera ("Witness box"); the courtroom's own feed has none (the console names it). */
  readonly labels: Readonly<Record<string, string>>;
}

/** Longest the transcoder may run after an end to produce what was captured before it, unless configured. */
const DRAIN_LIMIT_MS = 60_000;
/**
 * Longest the pullers may work off their input after the encoder leaves mid-hearing: bounded
 * tighter than at the end, since a returning encoder's media waits for them.
 */
const LOSS_DRAIN_MS = 10_000;

/** How long a command's answer waits for the state store before saying "not saved yet". */
const PERSIST_WAIT_MS = 1_000;

/** Events of a live hearing, observed by audit and the service. */
export interface LiveHearingEvents {
  program: (program: BroadcastProgram, action: ProgramAction) => void;
  released: (record: ReleaseRecord) => void;
  encoder: (state: EncoderState) => void;
  /** The transcoder ended; `restarting` tells whether the supervisor brings it back. */
  /** An FFmpeg of the hearing exited; `source` names the camera for a camera's own recorder or relay. */
  ffmpeg: (e: { role: 'transcode' | 'master' | SourceRole; source?: string; run: number; code: number | null; signal: string | null; restarting: boolean; storageFault: boolean }) => void;
  master: (m: MasterSegment) => void;
  /** A segment of one of the courtroom's further cameras was sealed. */
  sourceMaster: (source: string, m: MasterSegment) => void;
  /** One of the courtroom's further cameras began publishing, or stopped. */
  source: (name: string, state: 'connected' | 'lost') => void;
  /**
   * The end's drain reached its limit before the transcoder had produced everything captured
   * before the end: from `airedUntil` to `endAt` the public gets slates (the master has it all).
   */
  drainCutShort: (e: { readonly airedUntil: number | null; readonly endAt: number; readonly limitMs: number }) => void;
  /** The transcoder began to fall behind real time, or caught up again; with its backlog then. */
  load: (e: { readonly state: LoadState; readonly backlogMs: number }) => void;
  /** A step of the shedding order was taken (`shed`) or undone. */
  shed: (e: { readonly step: ShedStep; readonly shed: boolean; readonly backlogMs: number }) => void;
  finished: () => void;
}

/**
 * One hearing on air: its pipeline, its delay line and its program, wired together. The program
 * is the single source of truth for what airs; the delay line reads it at every decision.
 */
export class LiveHearing extends TypedEmitter<LiveHearingEvents> {
  private programState: BroadcastProgram;
  private stopTimer: NodeJS.Timeout | null = null;
  /** Capture end of the newest segment the pipeline produced. */
  private capturedUntil = Number.NEGATIVE_INFINITY;
  private graceTimer: NodeJS.Timeout | null = null;
  private lostAt: number | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private loadState: LoadState = 'keeping-up';
  /** How many steps of SHED_ORDER are in force, and since when that or the load state last changed. */
  private shedLevelNow = 0;
  private shedSince = 0;
  /** The last half minute of backlog readings, one a second while the encoder is connected. */
  private readonly backlogSamples: BacklogSample[] = [];
  private loadTimer: NodeJS.Timeout | null = null;
  private readonly programWriter: LatestWriter<BroadcastProgram>;
  private readonly journalWriter: LatestWriter<BroadcastProgram> | null;

  constructor(
    readonly hearing: Hearing,
    private readonly pipeline: HearingPipeline,
    private readonly delay: DelayLine,
    initialProgram: BroadcastProgram,
    private readonly o: {
      readonly persistProgram: (p: BroadcastProgram) => Promise<void>;
      /** The compositor of a composed program; absent when the program is the courtroom's own feed. */
      readonly compositor?: ProgramSwitcher;
      /** The further cameras' labels, by name, for the console. */
      readonly cameraLabels?: Readonly<Record<string, string>>;
      /** The hearing's captions, when its court publishes subtitles. */
      readonly captions?: CaptionTrack;
      /** A local, fsynced copy of the program, for recovery when the store missed the last change. */
      readonly journalProgram?: (p: BroadcastProgram) => Promise<void>;
      readonly logger: Logger;
      readonly now: () => number;
      readonly segmentSeconds: number;
      /** How long an encoder may be gone before it counts as an outage (the hearing still waits). */
      readonly graceMs: number;
      /** Longest the transcoder works off its backlog after an end (media.endDrainSeconds). */
      readonly endDrainMs?: number;
    },
  ) {
    super((err, event) => o.logger.error({ hearingId: hearing.id, err, event }, 'live hearing listener failed'));
    this.programState = initialProgram;
    const fault = (what: string) => (err: unknown | null) =>
      err ? o.logger.error({ hearingId: hearing.id, err }, `could not save the program to ${what}; the command holds and saving is retried`) : o.logger.warn({ hearingId: hearing.id }, `the program is saved to ${what} again`);
    this.programWriter = new LatestWriter(o.persistProgram, { onFault: fault('the state store') });
    this.journalWriter = o.journalProgram ? new LatestWriter(o.journalProgram, { onFault: fault('the local journal') }) : null;
    pipeline.on('segment', (s) => {
      this.capturedUntil = Math.max(this.capturedUntil, s.captureEnd);
      delay.addPending(s);
    });
    pipeline.on('gap', (at) => delay.markGap(at));
    pipeline.on('master', (m) => this.emit('master', m));
    pipeline.on('sourceMaster', (source, m) => this.emit('sourceMaster', source, m));
    pipeline.on('ffmpegExit', (exit, run, restarting) => this.emit('ffmpeg', { role: 'transcode', run, code: exit.code, signal: exit.signal, restarting, storageFault: isStorageFault(exit.message) }));
    pipeline.on('masterExit', (exit, run, restarting) => this.emit('ffmpeg', { role: 'master', run, code: exit.code, signal: exit.signal, restarting, storageFault: isStorageFault(exit.message) }));
    pipeline.on('sourceExit', (source, role, exit, run, restarting) => this.emit('ffmpeg', { role, source, run, code: exit.code, signal: exit.signal, restarting, storageFault: isStorageFault(exit.message) }));
    pipeline.on('encoder', (state) => this.onEncoder(state));
    delay.on('released', (r) => this.emit('released', r));
    delay.on('finished', () => {
      this.emit('finished');
      void this.close();
    });
  }

  private onEncoder(state: EncoderState): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    this.lostAt = state === 'lost' ? this.o.now() : null;
    if (state === 'lost') {
      this.graceTimer = setTimeout(
        () => this.o.logger.error({ hearingId: this.hearing.id, graceMs: this.o.graceMs }, 'encoder outage: not back within the grace window; the hearing keeps waiting'),
        this.o.graceMs,
      );
    }
    this.emit('encoder', state);
  }

  /**
   * Takes a cue from a caption feed: it airs, as the program lets its span air, with the segments
   * still to be released. Refused when the hearing's court publishes no captions.
   */
  receiveCue(req: CueRequest): Promise<CueAnswer> {
    if (!this.o.captions) throw new CourtcastError('INVALID_TRANSITION', 'this court publishes no captions');
    if (this.closed) throw new CourtcastError('INVALID_TRANSITION', 'the hearing is no longer live');
    return this.o.captions.receive(req);
  }

  /** Capture time up to which the public timeline is decided. */
  get releasedUntil(): number {
    return this.delay.releasedUntil;
  }

  /** The program as it stands. */
  get program(): BroadcastProgram {
    return this.programState;
  }

  /**
   * How far the transcoder's output trails what has reached the ingest server, in capture time:
   * the backlog it has to work off. Zero without an ingest clock or before any segment.
   */
  get transcoderBacklogMs(): number {
    const arrived = this.pipeline.ingestLatestAt;
    if (arrived === null || !Number.isFinite(this.capturedUntil)) return 0;
    return Math.max(0, arrived - this.capturedUntil);
  }

  /** Capture end of the newest segment the transcoder produced (ms), or null before the first. */
  get producedUntil(): number | null {
    return Number.isFinite(this.capturedUntil) ? this.capturedUntil : null;
  }

  /** Exposed for operations and tests: the pid of the SRT relay, while it runs. */
  get gatewayPid(): number | undefined {
    return this.pipeline.gatewayPid;
  }

  /** Exposed for operations and tests: the pid of the master recorder's FFmpeg. */
  get masterPid(): number | undefined {
    return this.pipeline.masterPid;
  }

  /** Exposed for operations and tests: the pid of the live transcoder. */
  get ffmpegPid(): number | undefined {
    return this.pipeline.ffmpegPid;
  }

  /** Whether the transcoder runs, is being brought back after an exit, or waits for its encoder. */
  get transcoderState(): 'running' | 'restarting' | 'idle' {
    if (this.pipeline.ffmpegPid !== undefined) return 'running';
    return this.pipeline.encoder === 'connected' ? 'restarting' : 'idle';
  }

  /** Starts the delay line's clock and the pipeline. */
  async start(): Promise<void> {
    await this.delay.start();
    await this.pipeline.start();
    this.loadTimer = setInterval(() => this.sampleLoad(), 1_000);
    this.loadTimer.unref();
  }

  /**
   * Reads the transcoder's backlog once a second and says when it starts falling behind real time
   * and when it catches up, so the clerk, the metrics and the record know before the public does.
   */
  private sampleLoad(): void {
    const now = this.o.now();
    const samples = this.backlogSamples;
    if (this.pipeline.encoder !== 'connected') samples.length = 0;
    else samples.push({ at: now, backlogMs: this.transcoderBacklogMs });
    while (samples.length > 0 && (samples[0] as BacklogSample).at < now - 30_000) samples.shift();
    // No encoder, no transcoder to judge: whatever was behind has nothing left to fall behind on.
    const next = samples.length === 0 ? 'keeping-up' : nextLoadState(this.loadState, samples, now);
    const backlogMs = samples.at(-1)?.backlogMs ?? 0;
    if (next !== this.loadState) {
      this.loadState = next;
      this.shedSince = now;
      (next === 'falling-behind' ? this.o.logger.warn : this.o.logger.info).call(this.o.logger, { hearingId: this.hearing.id, backlogMs }, next === 'falling-behind' ? 'the transcoder is falling behind real time' : 'the transcoder keeps real time again');
      this.emit('load', { state: next, backlogMs });
    }
    this.shedOrRestore(now, backlogMs);
  }

  /** Takes the next step of the shedding order while behind, and undoes the last once caught up for long enough. */
  private shedOrRestore(now: number, backlogMs: number): void {
    const level = nextShedLevel(this.shedLevelNow, this.loadState, this.shedSince, now);
    if (level === this.shedLevelNow) return;
    const shed = level > this.shedLevelNow;
    const step = SHED_ORDER[Math.max(level, this.shedLevelNow) - 1] as ShedStep;
    this.shedLevelNow = level;
    this.shedSince = now;
    this.o.logger.warn({ hearingId: this.hearing.id, step: step.gives, backlogMs }, shed ? 'shedding work to keep real time' : 'restoring work shed under load');
    this.emit('shed', { step, shed, backlogMs });
  }

  /** How many steps of the shedding order are in force. */
  get shedLevel(): number {
    return this.shedLevelNow;
  }

  /** The data disk takes writes again after failing since `faultSince`: the pipeline restarts what it held back. */
  storageRecovered(faultSince: number): Promise<void> {
    return this.pipeline.storageRecovered(faultSince);
  }

  /** The encoder connected or left (RTMP). */
  encoderConnected(): void {
    this.pipeline.encoderConnected();
  }

  /** One of the courtroom's further cameras publishes: it is recorded while it does. */
  sourceConnected(name: string): void {
    this.pipeline.sourceConnected(name);
    this.emit('source', name, 'connected');
  }

  /** One of them left: its recorder works off what it was sent. */
  sourceLost(name: string): Promise<void> {
    this.emit('source', name, 'lost');
    return this.pipeline.sourceLost(name, LOSS_DRAIN_MS);
  }

  /** The encoder was lost: what reached the ingest still airs, then the public gets slates for the gap; the hearing waits. */
  async encoderLost(): Promise<void> {
    await this.pipeline.encoderLost(this.programState.phase === 'ended' ? this.drainLimitMs : LOSS_DRAIN_MS);
  }

  /**
   * Saves the program as it stands: to the local journal and the state store at once, waiting a
   * bounded time for each. The change itself has already taken effect; a store that is down only
   * makes the answer say so, while saving goes on in the background.
   */
  private async save(): Promise<boolean> {
    const [persisted] = await Promise.all([this.programWriter.submit(this.programState, PERSIST_WAIT_MS), this.journalWriter?.submit(this.programState, PERSIST_WAIT_MS)]);
    return persisted;
  }

  /**
   * Applies a clerk's command. The program changes synchronously (so no release decision can
   * slip in between), then it is saved; the store is never in the way of the change.
   */
  command(cmd: BroadcastCommand, opts: { readonly withdrawn?: boolean } = {}): CommandOutcome {
    if (this.closed) throw new CourtcastError('INVALID_TRANSITION', 'the broadcast is over');
    const at = this.o.now();
    const action: ProgramAction = cmd === 'cut' ? { type: 'cut', at, releasedUntil: this.delay.releasedUntil, withdrawn: opts.withdrawn === true } : { type: cmd, at };
    const effective = effectiveAt(this.programState, action);
    const result = applyAction(this.programState, action);
    if (!result.ok) throw new CourtcastError('INVALID_TRANSITION', result.error.message, { phase: result.error.from });
    this.programState = result.program;
    if (cmd === 'cut') this.delay.dumpPending();
    if (cmd === 'end') this.scheduleStop();
    this.emit('program', this.programState, action);
    const program = this.programState;
    return { program, effectiveAt: effective, saved: this.save() };
  }

  /**
   * Where a region drawn on one camera lies on the program picture: through that camera's tile of
   * the composed program, or as drawn on the courtroom's own feed when the program is that feed.
   * Null for a camera of the courtroom the layout does not show now: its mask waits, parked, for a
   * switch that shows it. Refused for a camera the program cannot show.
   */
  regionOfCamera(source: string, region: Region): Region | null {
    const arrangement = this.programState.arrangements?.at(-1);
    if (!this.o.compositor || !arrangement) {
      if (source === MAIN_CAMERA) return region;
      throw new CourtcastError('INVALID_TRANSITION', `the program shows only the courtroom's own feed, not camera "${source}"`);
    }
    if (!this.o.compositor.cameras.includes(source)) throw new CourtcastError('INVALID_TRANSITION', `the courtroom has no camera "${source}"`);
    return regionOnProgram(source, region, tilesOf(arrangement));
  }

  /**
   * Switches a composed program to another layout or other cameras from now. What the switch
   * changes is covered black from this instant until the compositor has surely switched (a few
   * frames; longer only if it had to start a new run), so nothing of the old arrangement airs
   * after the command and nothing of the new before it; masks drawn on a camera move with it.
   */
  switchArrangement(layout: Layout, cameras: readonly string[]): CommandOutcome {
    if (this.closed) throw new CourtcastError('INVALID_TRANSITION', 'the broadcast is over');
    const compositor = this.o.compositor;
    const from = this.programState.arrangements?.at(-1);
    if (!compositor || !from) throw new CourtcastError('INVALID_TRANSITION', "the program is the courtroom's own feed: it has no layout to switch");
    const unknown = cameras.filter((c) => !compositor.cameras.includes(c));
    if (unknown.length > 0) throw new CourtcastError('VALIDATION_FAILED', `the courtroom has no camera named ${unknown.map((c) => `"${c}"`).join(', ')}`);
    const at = this.o.now();
    const covers: Mask[] = changedRegions(from, { layout, cameras }).map((region, k) => ({ id: `sw_${at}_${k}`, kind: 'black', region, start: at, end: null }));
    const action: ProgramAction = { type: 'switch', at, layout, cameras, covers };
    const before = this.programState;
    const result = applyAction(before, action);
    if (!result.ok) throw new CourtcastError('INVALID_TRANSITION', result.error.message, { phase: result.error.from });
    this.programState = result.program;
    this.emit('program', this.programState, action);
    this.syncLiveSlots(before.masks ?? [], this.programState.masks ?? [], at);
    const switched = effectiveAt(before, action);
    void compositor.switchTo(layout, cameras, switched).then(
      (until) => {
        if (this.closed) return;
        this.o.logger.info({ hearingId: this.hearing.id, layout, cameras, coveredMs: until - switched }, 'the program switched');
        for (const c of covers) this.maskAction({ type: 'lift', at: until, maskId: c.id });
      },
      // Left on: black where the switch changed the picture is the safe way to be wrong.
      (err: unknown) => this.o.logger.error({ hearingId: this.hearing.id, err }, 'the compositor did not switch; what the switch changes stays covered'),
    );
    return { program: this.programState, effectiveAt: switched, saved: this.save() };
  }

  /** A composed program's arrangement now and the cameras a switch may show; null for the courtroom's own feed. */
  get arrangement(): ProgramArrangement | null {
    const now = this.programState.arrangements?.at(-1);
    const compositor = this.o.compositor;
    return now && compositor ? { layout: now.layout, cameras: now.cameras, available: compositor.cameras, labels: this.o.cameraLabels ?? {} } : null;
  }

  /** The cameras a composed program's compositor reads now (empty for the courtroom's own feed). */
  get composing(): readonly string[] {
    return this.o.compositor?.reading ?? [];
  }

  /** Live slots follow the masks a switch ended and began (an optimisation the gate proves per segment). */
  private syncLiveSlots(before: readonly Mask[], after: readonly Mask[], at: number): void {
    const slots = this.pipeline.liveMasks;
    if (!slots) return;
    const was = new Map(before.map((m) => [m.id, m]));
    for (const m of after) {
      const old = was.get(m.id);
      if (!old) void slots.apply(m);
      else if (old.end === null && m.end !== null) void slots.lift(m.id, at);
    }
  }

  /**
   * Adds or lifts a mask. The program changes synchronously, so the very next release decision
   * (and render scheduling) sees it; then it is persisted.
   */
  maskAction(action: Extract<ProgramAction, { type: 'mask' | 'lift' }>): CommandOutcome {
    if (this.closed) throw new CourtcastError('INVALID_TRANSITION', 'the broadcast is over');
    const effective = effectiveAt(this.programState, action);
    // A mask drawn on a camera is lifted by its first piece's id, whichever piece is open.
    const lifted = action.type === 'lift' ? (this.programState.masks ?? []).filter((m) => m.end === null && (m.id === action.maskId || m.of === action.maskId)).map((m) => m.id) : [];
    const result = applyAction(this.programState, action);
    if (!result.ok) throw new CourtcastError('INVALID_TRANSITION', result.error.message, { phase: result.error.from });
    this.programState = result.program;
    this.emit('program', this.programState, action);
    // Live slots are an optimisation the gate must prove per segment; failures only cost renders.
    const slots = this.pipeline.liveMasks;
    // A parked mask has no place on the picture yet.
    if (slots && action.type === 'mask' && !(action.mask.on && !action.mask.region)) void slots.apply(action.mask);
    if (slots) for (const id of lifted) void slots.lift(id, effective);
    const program = this.programState;
    return { program, effectiveAt: effective, saved: this.save() };
  }

  /**
   * After an end, the transcoder runs on until it has produced everything captured before the
   * end instant, however far behind it is: the end drains rather than cutting the last seconds
   * off. If the encoder leaves meanwhile, the transcoder still works off what reached the ingest
   * and then ends by itself; after a minute it is stopped in any case.
   */
  private get drainLimitMs(): number {
    return this.o.endDrainMs ?? DRAIN_LIMIT_MS;
  }

  private scheduleStop(): void {
    const endAt = this.programState.endedAt ?? this.o.now();
    const startedAt = this.o.now();
    this.stopTimer = setInterval(() => {
      const drained = this.capturedUntil >= endAt;
      const exhausted = this.pipeline.encoder !== 'connected' && !this.pipeline.transcoding;
      const overdue = this.o.now() - startedAt >= this.drainLimitMs;
      if (!drained && !exhausted && !overdue) return;
      if (this.stopTimer) clearInterval(this.stopTimer);
      this.stopTimer = null;
      // Past the limit with media still owed: it airs as slates, and the record says why.
      if (!drained && !exhausted) this.emit('drainCutShort', { airedUntil: Number.isFinite(this.capturedUntil) ? this.capturedUntil : null, endAt, limitMs: this.drainLimitMs });
      void this.pipeline.close();
    }, 250);
  }

  /** The status shown to consoles and, in part, to the public. */
  status(): LiveStatus {
    return {
      hearingId: this.hearing.id,
      phase: this.programState.phase,
      delaySeconds: this.hearing.delaySeconds,
      encoder: this.pipeline.encoder,
      encoderLostAt: this.lostAt === null ? null : new Date(this.lostAt).toISOString(),
      encoderOutage: this.lostAt !== null && this.o.now() - this.lostAt > this.o.graceMs,
      releasedUntil: new Date(this.delay.releasedUntil).toISOString(),
      finished: this.delay.finished,
      programSaved: this.programWriter.settled,
      publicStoreFault: this.delay.publishFault,
      load: this.loadState,
      shed: SHED_ORDER.slice(0, this.shedLevelNow).map((st) => st.gives),
    };
  }

  /** Stops everything. Pending media stays on disk. Safe to call twice: both resolve when it is done. */
  close(): Promise<void> {
    return (this.closing ??= this.shutDown());
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    if (this.stopTimer) clearInterval(this.stopTimer);
    if (this.loadTimer) clearInterval(this.loadTimer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    await this.pipeline.close();
    await this.delay.close();
    await this.o.captions?.close();
    // One last bounded chance for the store to take the final program.
    await Promise.all([this.programWriter.flush(2_000), this.journalWriter?.flush(2_000)]);
    this.programWriter.close();
    this.journalWriter?.close();
    this.removeAll();
  }
}
