import type { Namespace, Socket } from 'socket.io';
import { CourtcastError, isCourtcastError } from '../domain/errors.ts';
import { mayControl, type Principal, type RevocationCause } from '../domain/users.ts';
import type { Logger } from '../domain/logger.ts';
import { REVOCATION_MESSAGES, type Accounts } from '../service/identity/accounts.ts';
import type { Tokens } from '../service/identity/tokens.ts';
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from './types.ts';

type ControlSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type ControlNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** setTimeout's largest delay; a longer token is re-checked when the timer fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A connect error that carries a stable code in `data`, which Socket.IO clients receive. */
function connectError(code: string, message: string): Error & { data: { code: string } } {
  return Object.assign(new Error(message), { data: { code } });
}

/**
 * The rights of every open control connection. A token is verified when the socket connects, but
 * rights are never cached past that: each command asks again (from the accounts held in memory,
 * so a down store cannot block a cut), and the moment an account is disabled, deleted, given a
 * new password or moved to other courtrooms, or its token lapses, its sockets are told why and
 * lose the rooms or the connection.
 */
export class ConnectionRights {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly offChanged: () => void;

  constructor(
    private readonly nsp: ControlNamespace,
    private readonly accounts: Accounts,
    private readonly tokens: Tokens,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
    nsp.use((socket, next) => void this.authenticate(socket).then(() => next(), (err: Error) => next(err)));
    this.offChanged = accounts.on('changed', (userId) => this.recheck(userId));
  }

  private async authenticate(socket: ControlSocket): Promise<void> {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw connectError('UNAUTHORIZED', 'sign in first');
    let claims;
    try {
      claims = await this.tokens.verify(token);
    } catch (err) {
      throw connectError('UNAUTHORIZED', isCourtcastError(err) ? err.message : 'invalid token');
    }
    const found = this.accounts.principal(claims.userId, claims.issuedAtMs);
    if (!found.ok) throw connectError(found.cause, REVOCATION_MESSAGES[found.cause]);
    socket.data.claims = claims;
    socket.data.principal = found.principal;
    socket.data.joined = {};
  }

  /** Arms the expiry of a newly connected socket. */
  attach(socket: ControlSocket): void {
    const arm = (): void => {
      const left = socket.data.claims.expiresAtMs - this.now();
      if (left <= 0) return this.revoke(socket, 'TOKEN_EXPIRED');
      const timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      timer.unref();
      this.timers.set(socket.id, timer);
    };
    arm();
    socket.once('disconnect', () => {
      clearTimeout(this.timers.get(socket.id));
      this.timers.delete(socket.id);
    });
  }

  /**
   * The socket's principal as it stands now; a lapsed token or a revoked account closes the
   * connection and throws UNAUTHORIZED, so the command that asked is refused.
   */
  current(socket: ControlSocket): Principal {
    const { claims } = socket.data;
    const cause: RevocationCause | null = this.now() >= claims.expiresAtMs ? 'TOKEN_EXPIRED' : null;
    const found = cause ? null : this.accounts.principal(claims.userId, claims.issuedAtMs);
    if (!found?.ok) {
      const why = cause ?? (found && !found.ok ? found.cause : 'ACCOUNT_DELETED');
      this.revoke(socket, why);
      throw new CourtcastError('UNAUTHORIZED', REVOCATION_MESSAGES[why]);
    }
    socket.data.principal = found.principal;
    return found.principal;
  }

  /** Remembers which courtroom a joined hearing belongs to, for re-checks. */
  joined(socket: ControlSocket, hearingId: string, courtroomId: string): void {
    socket.data.joined[hearingId] = courtroomId;
  }

  /** Forgets a hearing the socket left. */
  left(socket: ControlSocket, hearingId: string): void {
    delete socket.data.joined[hearingId];
  }

  private recheck(userId: string): void {
    for (const socket of this.nsp.sockets.values()) {
      if (socket.data.principal?.userId !== userId) continue;
      let p: Principal;
      try {
        p = this.current(socket);
      } catch {
        continue; // revoked and disconnected
      }
      for (const [hearingId, courtroomId] of Object.entries(socket.data.joined)) {
        if (mayControl(p, courtroomId)) continue;
        void socket.leave(`hearing:${hearingId}`);
        this.left(socket, hearingId);
        socket.emit('revoked', { code: 'FORBIDDEN', hearingId, message: 'you no longer serve this courtroom' });
      }
    }
  }

  private revoke(socket: ControlSocket, cause: RevocationCause): void {
    this.logger.warn({ userId: socket.data.principal?.userId, cause }, 'control connection revoked');
    socket.emit('revoked', { code: cause, message: REVOCATION_MESSAGES[cause] });
    socket.disconnect(true);
  }

  /** Stops watching accounts and clears every timer. */
  close(): void {
    this.offChanged();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
