import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SlateKind } from '../domain/program.ts';
import { slateSpec, type RungOptions, type SlateCard, type SlateLine } from '../media/args.ts';
import type { CourtLanguage } from '../domain/courts.ts';
import { chineseFontFile } from '../media/fonts.ts';
import type { Logger } from '../domain/logger.ts';
import { runFfmpeg } from '../media/run.ts';
import { specToArgs } from '../media/spec.ts';

/**
 * Every slate the public can see: the program's kinds, "standby" for media gaps, and
 * "no-broadcast" for a hearing that is not public (its playlist never carries the picture).
 */
export type PublicSlate = SlateKind | 'standby' | 'no-broadcast';

/** The words of each slate, in each language a court may speak. */
export const SLATE_WORDS: Readonly<Record<'en' | 'zh-CN', Readonly<Record<PublicSlate, string>>>> = {
  en: {
    starting: 'The hearing will begin shortly',
    paused: 'The broadcast is paused',
    interrupted: 'The broadcast is interrupted',
    ended: 'The hearing has ended',
    standby: 'Please stand by',
    'no-broadcast': 'This hearing is not broadcast',
  },
  'zh-CN': {
    starting: '庭审即将开始',
    paused: '直播已暂停',
    interrupted: '直播中断',
    ended: '庭审已结束',
    standby: '请稍候',
    'no-broadcast': '本案庭审不公开直播',
  },
};

/** What a composed program's tile shows while its camera is not there, in each court language. */
export const CAMERA_UNAVAILABLE: Readonly<Record<'en' | 'zh-CN', string>> = { en: 'Camera unavailable', 'zh-CN': '摄像机暂不可用' };

/** That line in a court's language (one line: a tile is small); English without a Chinese font. */
export function cameraUnavailableLine(language: CourtLanguage, chineseFont: string | null): SlateLine {
  return language === 'en' || chineseFont === null ? { text: CAMERA_UNAVAILABLE.en } : { text: CAMERA_UNAVAILABLE['zh-CN'], fontFile: chineseFont };
}

/** Every slate kind, in a fixed order. */
export const PUBLIC_SLATES = Object.keys(SLATE_WORDS.en) as readonly PublicSlate[];

/**
 * The card of a slate in a court's language; Chinese lines carry the font that has their glyphs.
 * Without one, a Chinese court's cards are drawn in English: empty boxes would tell nobody anything.
 */
export function slateCard(kind: PublicSlate, language: CourtLanguage, chineseFont: string | null): SlateCard {
  const en: SlateLine = { text: SLATE_WORDS.en[kind] };
  if (language === 'en' || chineseFont === null) return [en];
  const zh: SlateLine = { text: SLATE_WORDS['zh-CN'][kind], fontFile: chineseFont };
  return language === 'zh-CN' ? [zh] : [zh, en];
}

/** Where the delay line finds the slates of its hearing, in its court's language. */
export interface SlateSource {
  file(kind: PublicSlate, rung: string): string;
  /** The standby slate's bytes, held in memory so it can be published when the local disk fails. */
  standby(rung: string): Buffer;
  /** The card a spliced segment draws over its off-air frames, alike to the slate segments. */
  card(kind: PublicSlate): SlateCard;
  /** What a composed program's tile shows while its camera is not there. */
  readonly cameraUnavailable: SlateLine;
}

/** Options for the slate library. */
export interface SlateLibraryOptions {
  readonly cacheDir: string;
  readonly ladder: readonly RungOptions[];
  readonly segmentSeconds: number;
  readonly fps: number;
  readonly ffmpegPath: string;
  readonly logger: Logger;
  /** The font for Chinese lines; by default what fontconfig finds (null: none installed). */
  readonly chineseFont?: () => Promise<string | null>;
}

/**
 * Pre-rendered slate segments, one per kind and rung and court language, encoded exactly like the
 * rung they replace. They are rendered into a private cache keyed by the FFmpeg commands that make
 * them, and copied into the public store only when released. English is rendered at start; another
 * language the first time a hearing of a court speaking it opens (from the cache after that).
 */
export class SlateLibrary {
  private font: string | null = null;
  private readonly sets = new Map<CourtLanguage, Promise<SlateSet>>();
  private english: SlateSet | null = null;

  constructor(private readonly o: SlateLibraryOptions) {}

  /** Finds the Chinese font and renders the English slates. */
  async prepare(): Promise<void> {
    this.font = await (this.o.chineseFont ?? chineseFontFile)();
    if (this.font === null) this.o.logger.warn({ fontconfig: ':lang=zh-cn' }, 'no font covers Chinese (install fonts-wqy-microhei or fonts-noto-cjk): Chinese courts get English slates');
    this.english = await this.of('en');
  }

  /** The English slates (prepared at start): what a court without a language setting shows. */
  get default(): SlateSet {
    if (!this.english) throw new Error('slates not prepared: prepare() first');
    return this.english;
  }

  /** The slate file of one kind and rung, in English. */
  file(kind: PublicSlate, rung: string): string {
    return this.default.file(kind, rung);
  }

  /**
   * The slates in a court's language, rendered if they are not cached. A render that fails leaves
   * the court with English slates (logged) rather than a hearing that cannot open: a slate in
   * another language still keeps the picture off the air.
   */
  async of(language: CourtLanguage): Promise<SlateSet> {
    let set = this.sets.get(language);
    if (!set) {
      set = this.render(language).catch((err: unknown) => {
        this.sets.delete(language);
        if (language === 'en') throw err;
        this.o.logger.error({ err, language }, 'could not render the slates of a court language; its hearings show English slates');
        return this.default;
      });
      this.sets.set(language, set);
    }
    return set;
  }

  private async render(language: CourtLanguage): Promise<SlateSet> {
    const cards = Object.fromEntries(PUBLIC_SLATES.map((k) => [k, slateCard(k, language, this.font)])) as Record<PublicSlate, SlateCard>;
    // Keyed by the FFmpeg commands themselves, so a change of encoding, words or font renders anew.
    const commands = PUBLIC_SLATES.flatMap((kind) => this.o.ladder.map((rung) => specToArgs(slateSpec({ rung, card: cards[kind], seconds: this.o.segmentSeconds, fps: this.o.fps, outFile: '' }))));
    const key = JSON.stringify({ ladder: this.o.ladder, s: this.o.segmentSeconds, fps: this.o.fps, cards, commands });
    const dir = path.join(this.o.cacheDir, createHash('sha256').update(key).digest('hex').slice(0, 16));
    const file = (kind: PublicSlate, rung: string) => path.join(dir, kind, `${rung}.ts`);
    const jobs: { kind: PublicSlate; rung: RungOptions }[] = [];
    for (const kind of PUBLIC_SLATES) for (const rung of this.o.ladder) jobs.push({ kind, rung });
    // Two renders at a time: the machine has two cores.
    const work = async (): Promise<void> => {
      for (let job = jobs.shift(); job; job = jobs.shift()) await this.renderOne(file(job.kind, job.rung.name), cards[job.kind], job.rung, job.kind);
    };
    await Promise.all([work(), work()]);
    const standby = new Map<string, Buffer>();
    for (const rung of this.o.ladder) standby.set(rung.name, await readFile(file('standby', rung.name)));
    return new SlateSet(language, file, cards, standby, cameraUnavailableLine(language, this.font));
  }

  private async renderOne(out: string, card: SlateCard, rung: RungOptions, kind: PublicSlate): Promise<void> {
    try {
      await access(out);
      return;
    } catch {
      // not cached yet
    }
    await mkdir(path.dirname(out), { recursive: true });
    // Several servers may share one cache (two nodes on a volume, parallel tests) and render the
    // same slate at once: each writes its own temporary file, and the renames, atomic and of the
    // same bytes, leave one whole slate whichever lands last.
    const tmp = `${out}.${process.pid}-${randomBytes(4).toString('hex')}.part.ts`;
    const spec = slateSpec({ rung, card, seconds: this.o.segmentSeconds, fps: this.o.fps, outFile: tmp });
    try {
      await runFfmpeg(spec, { ffmpegPath: this.o.ffmpegPath, logger: this.o.logger, tags: { role: 'slate', kind, rung: rung.name } });
      await rename(tmp, out);
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

/** The rendered slates of one court language. */
export class SlateSet implements SlateSource {
  constructor(
    /** The language they were asked for (English slates stand in when that one failed). */
    readonly language: CourtLanguage,
    readonly file: (kind: PublicSlate, rung: string) => string,
    private readonly cards: Readonly<Record<PublicSlate, SlateCard>>,
    private readonly standbyBytes: ReadonlyMap<string, Buffer>,
    readonly cameraUnavailable: SlateLine,
  ) {}

  standby(rung: string): Buffer {
    const b = this.standbyBytes.get(rung);
    if (!b) throw new Error(`no standby slate for rung ${rung}`);
    return b;
  }

  card(kind: PublicSlate): SlateCard {
    return this.cards[kind];
  }
}
