import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The change guide in docs/architecture.md, tried: a throwaway command and a throwaway mask kind
 * are added the way a maintainer would (edits to the real files, held in memory), and the
 * compiler must stop each until its safety policy, and for the mask its drawing and live slot,
 * are given. Nothing is written to disk.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const config = ts.parseJsonConfigFileContent(ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, ROOT);
// Every module that reads a command or a mask kind, and what they import.
const ROOTS = ['server/service/broadcast/broadcasts.ts', 'server/control/namespace.ts', 'server/http/api.ts', 'server/http/openapi.ts', 'server/delay/render-plan.ts', 'server/pipeline/live-masks.ts'].map((f) => path.join(ROOT, f));

// The files a new command or mask kind touches: a step's errors are looked for in these alone.
const TOUCHED = ['server/domain/commands.ts', 'server/domain/program.ts', 'server/domain/masks.ts', 'server/media/mask-filters.ts', 'server/media/live-slots.ts'];

let previous: ts.Program | undefined;
// Parsed once for every compile: only the edited files differ between them.
const parsed = new Map<string, ts.SourceFile>();

/**
 * Type errors of the server with some files' text replaced, as "file: message" lines: in the
 * touched files only (the checker then checks what they need, not the whole server), or, with
 * `everywhere`, in every file, for the step that must compile as a whole.
 */
function errorsWith(edits: Readonly<Record<string, (text: string) => string>>, everywhere = false): string[] {
  const host = ts.createCompilerHost(config.options);
  const read = host.readFile.bind(host);
  const edited = (file: string): string | undefined => {
    const rel = path.relative(ROOT, file);
    const text = read(file);
    const edit = edits[rel];
    if (text !== undefined && edit) {
      const changed = edit(text);
      // An edit that does not apply would make the test prove nothing.
      if (changed === text) throw new Error(`the edit of ${rel} changed nothing`);
      return changed;
    }
    return text;
  };
  host.readFile = edited;
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, lang, onError, fresh) => {
    const rel = path.relative(ROOT, file);
    if (edits[rel]) return ts.createSourceFile(file, edited(file) ?? '', lang);
    const known = parsed.get(file) ?? getSourceFile(file, lang, onError, fresh);
    if (known) parsed.set(file, known);
    return known;
  };
  const program = ts.createProgram({ rootNames: ROOTS, options: config.options, host, ...(previous ? { oldProgram: previous } : {}) });
  previous = program;
  const files = TOUCHED.map((f) => program.getSourceFile(path.join(ROOT, f)));
  if (files.includes(undefined)) throw new Error('a touched file is no longer reached from the roots');
  const diagnostics = everywhere
    ? ts.getPreEmitDiagnostics(program)
    : [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...files.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)])];
  return diagnostics.map((d) => `${d.file ? path.relative(ROOT, d.file.fileName) : '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

/** Inserts `line` after the first line that contains `anchor`. */
const after = (anchor: string, line: string) => (text: string): string => text.replace(new RegExp(`(.*${anchor.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\n)`), `$1${line}\n`);

describe('the change guide holds: new commands and mask kinds cannot skip their safety policy', () => {
  // The maintainer's edits, step by step. Command and mask-kind steps are independent, so each
  // compile tries one of each (a compile of the server costs seconds).
  const withName = (t: string) => t.replace("export const BROADCAST_COMMANDS = ['start', 'pause', 'resume', 'cut', 'end']", "export const BROADCAST_COMMANDS = ['start', 'pause', 'resume', 'cut', 'end', 'rejoin']");
  const policy = (exposure: string) => after('  resume: {', `  rejoin: { ${exposure}reason: 'optional', from: ['paused', 'cut'], done: 'rejoined', opens: false },`);
  const action = after("| { readonly type: 'resume'; readonly at: number }", "  | { readonly type: 'rejoin'; readonly at: number }");
  const rule = after("    case 'resume':", "    case 'rejoin':");
  const kind = (fields: string) => after('  pixelate: { picture:', `  stamp: { ${fields} },`);
  const region = kind("picture: 'region', sound: 'none', text: 'keep', standing: true");

  it('stops a new command and a new mask kind at each step until its policy, drawing and slot are given', () => {
    // A broadcast command named with no policy at all; a mask kind with no standing flag.
    const first = errorsWith({ 'server/domain/commands.ts': withName, 'server/domain/masks.ts': kind("picture: 'region', sound: 'none', text: 'keep'") }).join('\n');
    expect(first).toMatch(/commands\.ts: .*rejoin/);
    expect(first).toMatch(/masks\.ts: .*standing/);
    // A policy that does not say what the command does to exposure; a kind that hides nothing.
    const second = errorsWith({ 'server/domain/commands.ts': (t) => policy('')(withName(t)), 'server/domain/masks.ts': kind("picture: 'none', sound: 'none', text: 'keep', standing: false") }).join('\n');
    expect(second).toMatch(/commands\.ts: .*exposure/);
    expect(second).toMatch(/masks\.ts: .*not assignable to type 'MaskKindPolicy'/);
    // A kind that silences the sound but would let its words air as captions.
    expect(errorsWith({ 'server/domain/masks.ts': kind("picture: 'none', sound: 'silence', text: 'keep', standing: true") }).join('\n')).toMatch(/masks\.ts: .*not assignable to type 'MaskKindPolicy'/);
    // A program action with no policy (the program's phase table stops it); a kind with a whole
    // policy (what it does to the picture, the sound and the words) but no drawing in the renderer and no live-slot decision.
    const third = errorsWith({ 'server/domain/program.ts': action, 'server/domain/masks.ts': region }).join('\n');
    expect(third).toMatch(/program\.ts: .*rejoin/);
    expect(third).toMatch(/mask-filters\.ts: .*stamp/);
    expect(third).toMatch(/live-slots\.ts: .*stamp/);
    // Declared in full, both compile: the command adds exposure, so the service gates it like
    // start and resume (test/unit/command-policy.test.ts runs the gate over every declared
    // command), and mask-render.test.ts would render the kind and check its pixels.
    const declared = errorsWith({
      'server/domain/commands.ts': (t) => policy("exposure: 'adds', ")(withName(t)),
      'server/domain/program.ts': (t) => rule(action(t)),
      'server/domain/masks.ts': region,
      'server/media/mask-filters.ts': after('  blur: (s) =>', "  stamp: (s) => treatRegion(s, 'negate'),"),
      'server/media/live-slots.ts': (t) => t.replace('voice: null, card: null', 'voice: null, card: null, stamp: null'),
    }, true);
    expect(declared).toEqual([]);
  }, 120_000);
});

// Read once so a moved file fails loudly here rather than as a confusing "changed nothing".
for (const f of TOUCHED) readFileSync(path.join(ROOT, f));
