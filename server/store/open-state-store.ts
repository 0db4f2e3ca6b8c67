import path from 'node:path';
import type { Config } from '../../config/schema.ts';
import { EmbeddedStateStore } from './embedded-state-store.ts';
import { MemoryStateStore } from './memory-state-store.ts';
import { RedisStateStore } from './redis-state-store.ts';
import type { StateStore } from './state-store.ts';

/** The state store the configuration names: embedded in `<dataDir>/state`, Redis, or memory. */
export async function openStateStore(config: Pick<Config, 'stores' | 'dataDir'>): Promise<StateStore> {
  if (config.stores.state === 'redis' && config.stores.redisUrl) return RedisStateStore.connect(config.stores.redisUrl);
  if (config.stores.state === 'embedded') return EmbeddedStateStore.open(path.join(path.resolve(config.dataDir), 'state'));
  return new MemoryStateStore();
}
