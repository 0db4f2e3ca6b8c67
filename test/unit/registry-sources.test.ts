import { describe, expect, it } from 'vitest';
import { sourceOfStream, sourceStreamId } from '../../server/domain/courts.ts';
import { Registry } from '../../server/service/court/registry.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';

const POLICY = { minSeconds: 2, maxSeconds: 1800, defaultSeconds: 10 };

describe("the keys of a courtroom's further cameras, across nodes", () => {
  it('names a source’s stream apart from every courtroom’s feed', () => {
    const id = sourceStreamId('cr_0123abcd', 'witness-box');
    expect(sourceOfStream(id)).toEqual({ courtroomId: 'cr_0123abcd', source: 'witness-box' });
    expect(sourceOfStream('cr_0123abcd')).toBeNull();
    expect(sourceOfStream('cr_0123abcd.Not A Name')).toBeNull();
  });

  it('accepts each pushed source’s key for its stream alone, and tells another node which streams lost their keys', async () => {
    const store = new MemoryStateStore();
    const here = new Registry(store, POLICY);
    const there = new Registry(store, POLICY);
    const court = await here.createCourt({ name: 'Court', timezone: 'UTC' });
    const room = await here.createCourtroom(court.id, { name: 'Room', ingest: 'rtmp' });
    const withSources = await here.setSources(room.id, [
      { name: 'witness', label: 'Witness', ingest: 'rtmp' },
      { name: 'bench', label: 'Bench', ingest: 'rtmp' },
      { name: 'gallery', label: 'Gallery', ingest: 'rtsp', camera: { url: 'rtsp://192.0.2.7/s', transport: 'tcp' } },
    ]);
    const key = (name: string) => withSources.sources!.find((x) => x.name === name)!.streamKey!;
    // A pulled camera has a key for its relay, like the pushed ones' but never shown.
    expect(here.courtroomIdByKey(key('gallery'))).toBe(sourceStreamId(room.id, 'gallery'));
    expect(here.courtroomIdByKey(key('witness'))).toBe(sourceStreamId(room.id, 'witness'));
    expect(here.courtroomIdByKey(room.streamKey)).toBe(room.id);
    await there.load();
    expect(there.courtroomIdByKey(key('bench'))).toBe(sourceStreamId(room.id, 'bench'));

    // Rotated and removed here: the other node hears which streams to drop, and refuses the old keys.
    await here.rotateSourceKey(room.id, 'witness');
    await here.setSources(room.id, [{ name: 'witness', label: 'Witness', ingest: 'rtmp' }]);
    expect(here.courtroomIdByKey(key('witness'))).toBeNull();
    expect(here.courtroomIdByKey(key('bench'))).toBeNull();
    expect((await there.refreshKeys()).sort()).toEqual([sourceStreamId(room.id, 'bench'), sourceStreamId(room.id, 'gallery'), sourceStreamId(room.id, 'witness')]);
    expect(there.courtroomIdByKey(key('witness'))).toBeNull();
    expect(there.courtroomIdByKey(key('bench'))).toBeNull();
    expect(there.courtroomIdByKey(room.streamKey)).toBe(room.id);
    expect(await there.refreshKeys()).toEqual([]);
  });
});
