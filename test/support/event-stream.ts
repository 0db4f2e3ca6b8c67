import type { PublicStatus } from '../../server/domain/public-state.ts';

/** Reads a Server-Sent Events stream like a browser's EventSource would, noting when each event came. */
export class EventStream {
  readonly events: (PublicStatus & { at: number })[] = [];
  private readonly abort = new AbortController();
  status = 0;
  contentType = '';

  constructor(readonly url: string) {}

  async open(): Promise<this> {
    const res = await fetch(this.url, { signal: this.abort.signal });
    this.status = res.status;
    this.contentType = res.headers.get('content-type') ?? '';
    if (res.status !== 200 || !res.body) return this;
    void (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (block.includes('event: state') && data) this.events.push({ ...(JSON.parse(data.slice(6)) as PublicStatus), at: Date.now() });
          }
        }
      } catch {
        // closed by the test
      }
    })();
    return this;
  }

  states(): string[] {
    return this.events.map((e) => e.state);
  }

  close(): void {
    this.abort.abort();
  }
}
