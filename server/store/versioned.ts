import { CourtcastError } from '../domain/errors.ts';
import { versionOf, type StateNamespace, type StateStore, type Versioned } from './state-store.ts';

/** How many times a change is reapplied when other writers keep getting there first. */
const ATTEMPTS = 8;

/**
 * Read-modify-write of one record without losing anyone's update: `change` is applied to the
 * record as stored and written only if nobody wrote it meanwhile (compare-and-set on its version);
 * otherwise it is read again and `change` reapplied, so its checks run against what is stored now.
 * `change` may throw to refuse. Answers the record as written, with its new version.
 */
export async function updateVersioned<T extends Versioned>(state: StateStore, ns: StateNamespace, id: string, change: (current: T | null) => T): Promise<T> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await state.get<T>(ns, id);
    const version = versionOf(current);
    const next = { ...change(current), version: version + 1 };
    if (await state.putIfVersion(ns, id, next, version)) return next;
  }
  throw new CourtcastError('CONFLICT', 'the record kept changing under other writers; try again');
}
