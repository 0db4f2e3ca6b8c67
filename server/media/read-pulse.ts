/**
 * Counts media read off the network, so that a command that adds exposure can wait until what had
 * reached our sockets when it came in has been read, and so dated.
 *
 * Media is dated when Node reads it. On a busy event loop, packets that reached a socket before a
 * start (or a resume, or a mask's lift) may be read after the command in the same turn, and would
 * be dated after its edge and air. The command's edge is therefore taken only once the loop has
 * gone round with nothing left to read: each turn reads a bounded batch per socket (libuv: 32
 * datagrams or 32 reads), so a backlog takes as many turns as it has batches.
 */
export class ReadPulse {
  private n = 0;

  /** One read of media off a socket. */
  read(): void {
    this.n++;
  }

  /**
   * Resolves once a whole turn of the event loop (its I/O poll included) has read no media, after
   * at least two turns; at the latest after `maxTurns` turns or `maxMs`, since media that keeps
   * arriving on a loaded loop would otherwise hold the command forever (a backlog that long is
   * beyond what the bound covers, and the edge then falls where it falls).
   */
  settled(o: { readonly maxTurns?: number; readonly maxMs?: number } = {}): Promise<{ turns: number; quiet: boolean }> {
    const maxTurns = o.maxTurns ?? 64;
    const deadline = Date.now() + (o.maxMs ?? 500);
    return new Promise((resolve) => {
      let turns = 0;
      let seen = this.n;
      const turn = (): void => {
        turns++;
        const quiet = this.n === seen;
        seen = this.n;
        // The first turn may have begun before this call's own poll: it proves nothing.
        if ((turns >= 2 && quiet) || turns >= maxTurns || Date.now() >= deadline) return resolve({ turns, quiet: turns >= 2 && quiet });
        setImmediate(turn);
      };
      setImmediate(turn);
    });
  }
}
