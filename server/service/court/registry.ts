import { settleWithin } from '../../domain/deadline.ts';
import { CourtcastError } from '../../domain/errors.ts';
import { delayAllowed, MAIN_CAMERA, sourceOfStream, sourceStreamId, type CaseType, type CourtroomProgram, type Court, type CourtCaptions, type CourtLanguage, type Courtroom, type CourtroomSource, type DelayPolicy, type Hearing, type HearingStatus, type IngestProtocol, type CameraSource, type MaskPreset, type PrivacyGround, isPushed, type SourceProtocol, type StandingMask, srtPortsOfSources } from '../../domain/courts.ts';
import { newCourtId, newCourtroomId, newHearingId, newStreamKey, type CourtId, type HearingId } from '../../domain/ids.ts';
import { mayControl, type Principal } from '../../domain/users.ts';
import { courtCodec, courtroomCodec, hearingCodec } from '../../domain/codecs.ts';
import { Records, VersionedRecords } from '../../store/records.ts';
import type { StateStore } from '../../store/state-store.ts';

/** Input for a new hearing, already validated for shape at the edge. */
export interface NewHearing {
  readonly courtroomId: string;
  readonly caseNumber: string;
  readonly title: string;
  readonly caseType: CaseType;
  readonly scheduledStart: string;
  readonly delaySeconds?: number;
  readonly isPublic: boolean;
  readonly grounds?: readonly PrivacyGround[];
  readonly standingMasks?: readonly StandingMask[];
}

/** A further camera as an admin configures it, already validated for shape at the edge. */
export interface NewSource {
  readonly name: string;
  readonly label: string;
  readonly ingest: SourceProtocol;
  readonly camera?: CameraSource;
  readonly srtPort?: number;
}

/** The SRT ports a courtroom's listeners bind: its own feed's and its SRT cameras'. Pure. */
function srtPortsOf(room: Courtroom): number[] {
  return [...(room.srtPort === undefined ? [] : [room.srtPort]), ...srtPortsOfSources(room.sources ?? [])];
}

/** Every stream a courtroom publishes under a key, with that key: its own feed and its pushed sources. Pure. */
function keysOf(room: Courtroom): [string, string][] {
  return [[room.id, room.streamKey], ...(room.sources ?? []).flatMap((x): [string, string][] => (x.streamKey ? [[sourceStreamId(room.id, x.name), x.streamKey]] : []))];
}

/** A change to a scheduled hearing's details or restrictions. */
export type HearingPatch = Partial<Pick<Hearing, 'caseNumber' | 'title' | 'caseType' | 'scheduledStart' | 'isPublic' | 'grounds' | 'standingMasks'>>;

/**
 * Courts, courtrooms and hearings, kept in the state store. It also keeps the stream-key index
 * in memory, because the RTMP server must accept or refuse a publish synchronously.
 */
/** How long a preset's region is read from the store before this node's last copy serves. */
const PRESET_READ_MS = 250;

export class Registry {
  /** Stream id (a courtroom's own, or a source's) by its current key. */
  private readonly byKey = new Map<string, string>();
  private readonly keyOfRoom = new Map<string, string>();
  /** Each courtroom's presets as this node last read or wrote them, for masks asked while the store stalls. */
  private readonly knownPresets = new Map<string, readonly MaskPreset[]>();

  private readonly courtRecords: Records<Court>;
  private readonly roomRecords: Records<Courtroom>;
  private readonly hearingRecords: VersionedRecords<Hearing>;

  constructor(
    state: StateStore,
    private readonly policy: DelayPolicy & { readonly defaultSeconds: number },
    private readonly now: () => number = Date.now,
  ) {
    this.courtRecords = new Records(state, 'courts', courtCodec);
    this.roomRecords = new Records(state, 'courtrooms', courtroomCodec);
    this.hearingRecords = new VersionedRecords(state, 'hearings', hearingCodec);
  }

  /** Rebuilds the key index from the store. */
  async load(): Promise<void> {
    this.byKey.clear();
    this.keyOfRoom.clear();
    for (const room of await this.roomRecords.list()) this.indexKey(room);
  }

  /**
   * Re-reads the key index, for courtrooms made or keys rotated on another node. Returns the
   * courtrooms whose key changed, whose encoders must be disconnected here too.
   */
  async refreshKeys(): Promise<string[]> {
    const rooms = await this.roomRecords.list();
    const current = new Map(rooms.flatMap((r) => [...keysOf(r)]));
    const rotated = [...this.keyOfRoom].filter(([stream, key]) => current.get(stream) !== key).map(([stream]) => stream);
    this.byKey.clear();
    this.keyOfRoom.clear();
    for (const room of rooms) this.indexKey(room);
    return rotated;
  }

  /** Indexes a courtroom's keys, its own and its pushed sources'; keys it no longer has stop working. */
  private indexKey(room: Courtroom): void {
    this.knownPresets.set(room.id, room.presets ?? []);
    for (const [stream, key] of [...this.keyOfRoom]) {
      if (stream !== room.id && sourceOfStream(stream)?.courtroomId !== room.id) continue;
      this.byKey.delete(key);
      this.keyOfRoom.delete(stream);
    }
    for (const [stream, key] of keysOf(room)) {
      this.byKey.set(key, stream);
      this.keyOfRoom.set(stream, key);
    }
  }

  /** The current stream key of a courtroom, or of a source's stream (synchronous: FFmpeg runs read it at spawn). */
  currentKey(streamId: string): string | null {
    return this.keyOfRoom.get(streamId) ?? null;
  }

  /** The stream this key publishes: a courtroom's own feed (its id) or one of its sources (domain/courts.ts `sourceStreamId`). */
  courtroomIdByKey(key: string): string | null {
    return this.byKey.get(key) ?? null;
  }

  async createCourt(input: { name: string; timezone: string; timeOverlay?: boolean; language?: CourtLanguage; captions?: CourtCaptions }): Promise<Court> {
    const court: Court = {
      id: newCourtId(),
      name: input.name,
      timezone: input.timezone,
      ...(input.timeOverlay === false ? { timeOverlay: false } : {}),
      ...(input.language ? { language: input.language } : {}),
      ...(input.captions ? { captions: input.captions } : {}),
    };
    await this.courtRecords.put(court.id, court);
    return court;
  }

  /**
   * Sets or removes a court's captions. Hearings that go live afterwards publish them; one on the
   * air keeps what it started with (its public playlists and its caption track were made for it).
   */
  async setCourtCaptions(id: string, captions: CourtCaptions | null): Promise<Court> {
    const { captions: _old, ...rest } = await this.court(id);
    const court: Court = { ...rest, ...(captions ? { captions } : {}) };
    await this.courtRecords.put(court.id, court);
    return court;
  }

  async listCourts(): Promise<Court[]> {
    return this.courtRecords.list();
  }

  async court(id: string): Promise<Court> {
    const c = await this.courtRecords.get(id);
    if (!c) throw new CourtcastError('NOT_FOUND', `no court ${id}`);
    return c;
  }

  async createCourtroom(courtId: string, input: { name: string; ingest: IngestProtocol; srtPort?: number; camera?: CameraSource }): Promise<Courtroom> {
    const court = await this.court(courtId);
    if (input.ingest === 'srt') {
      if (input.srtPort === undefined) throw new CourtcastError('VALIDATION_FAILED', 'an SRT courtroom needs srtPort');
      await this.refuseTakenSrtPorts([input.srtPort], null);
    }
    const room: Courtroom = {
      id: newCourtroomId(),
      courtId: court.id as CourtId,
      name: input.name,
      ingest: input.ingest,
      ...(input.ingest === 'srt' ? { srtPort: input.srtPort } : {}),
      ...(input.ingest === 'rtsp' && input.camera ? { camera: { url: input.camera.url, transport: input.camera.transport } } : {}),
      streamKey: newStreamKey(),
      keyRotatedAt: new Date(this.now()).toISOString(),
    };
    await this.roomRecords.put(room.id, room);
    this.indexKey(room);
    return room;
  }

  async courtroom(id: string): Promise<Courtroom> {
    const r = await this.roomRecords.get(id);
    if (!r) throw new CourtcastError('NOT_FOUND', `no courtroom ${id}`);
    this.knownPresets.set(r.id, r.presets ?? []);
    return r;
  }

  /** Issues a new key; the old one stops working at once. */
  async rotateKey(id: string): Promise<Courtroom> {
    const room = await this.courtroom(id);
    const next: Courtroom = { ...room, streamKey: newStreamKey(), keyRotatedAt: new Date(this.now()).toISOString() };
    await this.roomRecords.put(id, next);
    this.indexKey(next);
    return next;
  }

  /**
   * Replaces a courtroom's further cameras. A pushed source keeps its key while it keeps its name
   * and stays pushed; a new one gets a key of its own; one removed (or now pulled) loses its key at once.
   */
  async setSources(courtroomId: string, sources: readonly NewSource[]): Promise<Courtroom> {
    const room = await this.courtroom(courtroomId);
    const names = sources.map((x) => x.name);
    if (new Set(names).size !== names.length) throw new CourtcastError('VALIDATION_FAILED', 'source names must be unique');
    const inProgram = (room.program ? [...room.program.cameras, room.program.sound] : []).filter((c) => c !== MAIN_CAMERA && !names.includes(c));
    if (inProgram.length > 0) throw new CourtcastError('VALIDATION_FAILED', `the program shows ${[...new Set(inProgram)].map((c) => `"${c}"`).join(', ')}: change its layout first`);
    await this.refuseTakenSrtPorts(srtPortsOfSources(sources), room);
    const kept = new Map((room.sources ?? []).map((x) => [x.name, x]));
    const next: Courtroom = {
      ...room,
      sources: sources.map((x): CourtroomSource => {
        // A pulled camera has a key too, never shown: its relay publishes into the ingest with it.
        const before = kept.get(x.name);
        const streamKey = before?.ingest === x.ingest && before.streamKey ? before.streamKey : newStreamKey();
        if (x.ingest === 'rtsp') return { name: x.name, label: x.label, ingest: 'rtsp', streamKey, ...(x.camera ? { camera: { url: x.camera.url, transport: x.camera.transport } } : {}) };
        if (x.ingest === 'srt') return { name: x.name, label: x.label, ingest: 'srt', streamKey, ...(x.srtPort === undefined ? {} : { srtPort: x.srtPort }) };
        return { name: x.name, label: x.label, ingest: 'rtmp', streamKey };
      }),
    };
    await this.roomRecords.put(room.id, next);
    this.indexKey(next);
    return next;
  }

  /**
   * Sets how the courtroom's program is composed (null: its own feed alone). Every camera named
   * must be `main` or one of its sources; a hearing takes it when it opens.
   */
  async setProgram(courtroomId: string, program: CourtroomProgram | null): Promise<Courtroom> {
    const room = await this.courtroom(courtroomId);
    const known = new Set([MAIN_CAMERA, ...(room.sources ?? []).map((x) => x.name)]);
    const unknown = program ? [...program.cameras, program.sound].filter((c) => !known.has(c)) : [];
    if (unknown.length > 0) throw new CourtcastError('VALIDATION_FAILED', `the courtroom has no camera named ${[...new Set(unknown)].map((c) => `"${c}"`).join(', ')}`);
    const { program: _old, ...rest } = room;
    const next: Courtroom = program ? { ...rest, program: { layout: program.layout, cameras: [...program.cameras], sound: program.sound } } : rest;
    await this.roomRecords.put(room.id, next);
    return next;
  }

  /**
   * Refuses SRT ports another listener binds: any courtroom's own feed's, or any camera's. For
   * `replacing` (the courtroom whose cameras are being replaced), its cameras' ports are free again.
   */
  private async refuseTakenSrtPorts(ports: readonly number[], replacing: Courtroom | null): Promise<void> {
    const rooms = await this.roomRecords.list();
    const taken = new Set(rooms.flatMap((r) => (r.id === replacing?.id ? srtPortsOf({ ...r, sources: [] }) : srtPortsOf(r))));
    const clash = ports.find((p) => taken.has(p));
    if (clash !== undefined) throw new CourtcastError('CONFLICT', `SRT port ${clash} is taken by another courtroom or camera`);
  }

  /** Issues a new key for a pushed source; the old one stops working at once. */
  async rotateSourceKey(courtroomId: string, name: string): Promise<Courtroom> {
    const room = await this.courtroom(courtroomId);
    const source = (room.sources ?? []).find((x) => x.name === name);
    if (!source) throw new CourtcastError('NOT_FOUND', `courtroom ${courtroomId} has no source "${name}"`);
    if (!isPushed(source.ingest)) throw new CourtcastError('INVALID_TRANSITION', `"${name}" is pulled over RTSP: it has no key`);
    const next: Courtroom = { ...room, sources: (room.sources ?? []).map((x) => (x.name === name ? { ...x, streamKey: newStreamKey() } : x)) };
    await this.roomRecords.put(room.id, next);
    this.indexKey(next);
    return next;
  }

  /** Replaces a courtroom's mask presets. Names must be unique. */
  async setPresets(courtroomId: string, presets: readonly MaskPreset[]): Promise<Courtroom> {
    const room = await this.courtroom(courtroomId);
    const names = presets.map((p) => p.name.toLowerCase());
    if (new Set(names).size !== names.length) throw new CourtcastError('VALIDATION_FAILED', 'preset names must be unique');
    const keys = presets.flatMap((p) => (p.key ? [p.key] : []));
    if (new Set(keys).size !== keys.length) throw new CourtcastError('VALIDATION_FAILED', 'preset shortcuts must be unique');
    const next: Courtroom = { ...room, presets: [...presets] };
    await this.roomRecords.put(room.id, next);
    this.knownPresets.set(room.id, next.presets ?? []);
    return next;
  }

  /** A courtroom's presets as this node last read or wrote them; undefined if it has not. */
  knownPresetsOf(courtroomId: string): readonly MaskPreset[] | undefined {
    return this.knownPresets.get(courtroomId);
  }

  /**
   * The region of a named preset of a courtroom. A mask is a safety action and must not wait on a
   * stalled store: past a short wait, the presets as this node last knew them serve.
   */
  async preset(courtroomId: string, name: string): Promise<MaskPreset['region']> {
    const read = this.courtroom(courtroomId).then((r) => r.presets ?? []);
    const presets = await settleWithin(read, PRESET_READ_MS, this.knownPresets.get(courtroomId) ?? null);
    if (presets === null) throw new CourtcastError('STORE_UNAVAILABLE', "the courtroom's presets cannot be read now; give the region instead");
    const p = presets.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!p) throw new CourtcastError('NOT_FOUND', `no preset "${name}" in this courtroom`);
    return p.region;
  }

  async createHearing(input: NewHearing): Promise<Hearing> {
    const room = await this.courtroom(input.courtroomId);
    const delaySeconds = input.delaySeconds ?? this.policy.defaultSeconds;
    if (!delayAllowed(this.policy, delaySeconds)) {
      throw new CourtcastError('DELAY_OUT_OF_RANGE', `delaySeconds must lie within [${this.policy.minSeconds}, ${this.policy.maxSeconds}]`, {
        min: this.policy.minSeconds,
        max: this.policy.maxSeconds,
      });
    }
    const hearing: Hearing = {
      id: newHearingId(),
      courtId: room.courtId,
      courtroomId: room.id,
      caseNumber: input.caseNumber,
      title: input.title,
      caseType: input.caseType,
      scheduledStart: new Date(input.scheduledStart).toISOString(),
      delaySeconds,
      isPublic: input.isPublic,
      status: 'scheduled',
      grounds: [...(input.grounds ?? [])],
      standingMasks: [...(input.standingMasks ?? [])],
    };
    await this.hearingRecords.put(hearing.id, hearing);
    return hearing;
  }

  async hearing(id: string): Promise<Hearing> {
    const h = await this.hearingRecords.get(id);
    if (!h) throw new CourtcastError('NOT_FOUND', `no hearing ${id}`);
    return h;
  }

  /** The hearing, if the principal may control its courtroom; FORBIDDEN otherwise. */
  async controllableHearing(id: string, p: Principal): Promise<Hearing> {
    const h = await this.hearing(id);
    if (!mayControl(p, h.courtroomId)) throw new CourtcastError('FORBIDDEN', 'you do not serve this courtroom');
    return h;
  }

  async listHearings(): Promise<Hearing[]> {
    const all = await this.hearingRecords.list();
    return all.sort((a, b) => a.scheduledStart.localeCompare(b.scheduledStart));
  }

  /**
   * Changes a hearing's details; an ended hearing's are its record and stay as they were. The
   * change is applied to the hearing as stored (compare-and-set), so a status the service set
   * meanwhile, or another editor's change, is kept.
   */
  async updateHearing(id: string, patch: HearingPatch): Promise<{ before: Hearing; after: Hearing }> {
    let before: Hearing | null = null;
    const after = await this.hearingRecords.update(id, (h) => {
      if (!h) throw new CourtcastError('NOT_FOUND', `no hearing ${id}`);
      if (h.status === 'ended') throw new CourtcastError('INVALID_TRANSITION', 'an ended hearing cannot be changed');
      before = h;
      return { ...h, ...patch, ...(patch.scheduledStart ? { scheduledStart: new Date(patch.scheduledStart).toISOString() } : {}) };
    });
    return { before: before as unknown as Hearing, after };
  }

  /** Sets a hearing's status, keeping whatever else was changed meanwhile. */
  async setHearingStatus(id: HearingId | string, status: HearingStatus): Promise<Hearing> {
    return this.hearingRecords.update(id, (h) => {
      if (!h) throw new CourtcastError('NOT_FOUND', `no hearing ${id}`);
      return { ...h, status };
    });
  }
}
