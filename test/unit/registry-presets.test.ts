import { describe, expect, it } from 'vitest';
import { Registry } from '../../server/service/court/registry.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';

/** A memory store whose reads can be made to hang, as Redis does when it is stopped with SIGSTOP. */
class StallableStore extends MemoryStateStore {
  stalled = false;
  override async get<T>(ns: Parameters<MemoryStateStore['get']>[0], id: string): Promise<T | null> {
    if (this.stalled) return new Promise<T | null>(() => undefined);
    return super.get<T>(ns, id);
  }
}

const POLICY = { minSeconds: 2, maxSeconds: 1800, defaultSeconds: 10 };
const REGION = { x: 0.1, y: 0.2, w: 0.3, h: 0.4 };

/** A courtroom with one preset, made through a registry on a store that answers. */
async function roomWithPreset(store: StallableStore): Promise<{ registry: Registry; roomId: string }> {
  const registry = new Registry(store, POLICY);
  const court = await registry.createCourt({ name: 'Court', timezone: 'UTC' });
  const room = await registry.createCourtroom(court.id, { name: 'Room', ingest: 'rtmp' });
  await registry.setPresets(room.id, [{ name: 'Witness box', region: REGION }]);
  return { registry, roomId: room.id };
}

describe('a mask preset while the state store stalls', () => {
  it('is read from the store when it answers, and from what this node last knew when it does not', async () => {
    const store = new StallableStore();
    const { registry, roomId } = await roomWithPreset(store);
    expect(await registry.preset(roomId, 'witness BOX')).toEqual(REGION);

    store.stalled = true;
    const asked = Date.now();
    expect(await registry.preset(roomId, 'Witness box')).toEqual(REGION);
    expect(Date.now() - asked).toBeLessThan(1_000);
    await expect(registry.preset(roomId, 'Dock')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('is refused with STORE_UNAVAILABLE when this node never knew the courtroom', async () => {
    const store = new StallableStore();
    const { roomId } = await roomWithPreset(store);
    // Another node, started while the store stalls.
    store.stalled = true;
    await expect(new Registry(store, POLICY).preset(roomId, 'Witness box')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
