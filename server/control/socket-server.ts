import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Logger } from 'pino';
import { Server as SocketServer } from 'socket.io';
import { RedisStateStore } from '../store/redis-state-store.ts';
import type { StateStore } from '../store/state-store.ts';

/** A Redis client whose publish never rejects: failures are logged instead. */
function catchingPublishes<C extends { publish(channel: string, message: string): Promise<unknown> }>(client: C, logger: Logger): C {
  return new Proxy(client, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === 'publish') {
        return (channel: string, message: string) => target.publish(channel, message).catch((err: unknown) => logger.warn({ err }, 'could not publish to other nodes'));
      }
      // Bound to the real client: its methods use private fields a proxy cannot reach.
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The Socket.IO server the control channel runs on. With Redis, room broadcasts reach consoles
 * connected to any Courtcast node. The adapter's clients queue while Redis is away, and the
 * adapter fires its publishes without a catch, so a publish that fails (Redis gone mid-command) is
 * caught here rather than ending the process.
 */
export async function openSocketServer(server: HttpServer, state: StateStore, logger: Logger): Promise<{ io: SocketServer; closeAdapter: () => Promise<void> }> {
  const io = new SocketServer(server, { serveClient: false, maxHttpBufferSize: 64 * 1024 });
  if (!(state instanceof RedisStateStore)) return { io, closeAdapter: async () => undefined };
  const pub = state.redis.duplicate({ disableOfflineQueue: false });
  const sub = state.redis.duplicate({ disableOfflineQueue: false });
  pub.on('error', () => {});
  sub.on('error', () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(catchingPublishes(pub, logger), sub));
  return { io, closeAdapter: async () => void (await Promise.all([pub, sub].map((c) => c.quit().catch(() => undefined)))) };
}
