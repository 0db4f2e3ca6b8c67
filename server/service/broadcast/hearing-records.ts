import { programCodec } from '../../domain/codecs.ts';
import type { BroadcastProgram } from '../../domain/program.ts';
import { releasesCodec } from '../../delay/release-codec.ts';
import type { DelayLineState } from '../../delay/public-writer.ts';
import { Records } from '../../store/records.ts';
import type { StateStore } from '../../store/state-store.ts';

/** A live hearing's program, as its owner stores it (fenced) and a restart reads it back. */
export const programRecords = (state: StateStore): Records<BroadcastProgram> => new Records(state, 'programs', programCodec);

/** A live hearing's release position and public timeline. */
export const releaseRecords = (state: StateStore): Records<DelayLineState> => new Records(state, 'releases', releasesCodec);
