import type { RedisClientType } from 'redis';
import type { NodeTransport } from './node-transport.ts';

/**
 * Messages between nodes over Redis pub/sub, one channel per node and one all of them hear. Pub/sub delivers to whoever
 * listens now and keeps nothing: a call to a node that is gone simply goes unanswered, and the
 * caller's timeout says so.
 */
export class RedisTransport implements NodeTransport {
  private sub: RedisClientType | null = null;

  constructor(
    private readonly client: RedisClientType,
    private readonly prefix: string,
  ) {}

  private channel(nodeId: string): string {
    return `${this.prefix}:node:${nodeId}`;
  }

  async send(nodeId: string, message: string): Promise<void> {
    await this.client.publish(this.channel(nodeId), message);
  }

  async announce(message: string): Promise<void> {
    await this.client.publish(`${this.prefix}:nodes`, message);
  }

  async listen(nodeId: string, deliver: (message: string) => void): Promise<void> {
    const sub = this.client.duplicate({ disableOfflineQueue: false }) as RedisClientType;
    sub.on('error', () => {});
    await sub.connect();
    await sub.subscribe([this.channel(nodeId), `${this.prefix}:nodes`], (message) => deliver(message));
    this.sub = sub;
  }

  async close(): Promise<void> {
    await this.sub?.quit().catch(() => undefined);
    this.sub = null;
  }
}
