import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Name of the board's session cookie (HttpOnly, SameSite=Strict; never the token itself). Cookies
 * ignore ports, so the port is in the name: two boards on one host keep their own sessions.
 */
export function sessionCookieName(port: string): string {
  return `chat_swarm_board_${/^\d{1,5}$/.test(port) ? port : '80'}`;
}

/** Constant-time comparison of two strings of any length (both are hashed first). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/**
 * Signed, stateless board sessions. The signing key derives from the access token, so a session
 * outlives a restart of the board (an open page reconnects) and dies when the token changes; with
 * no token the key is random per process. The CSRF token is bound to the session.
 */
export class BoardSessions {
  private readonly key: Buffer;

  constructor(private readonly token: string | undefined) {
    this.key = token
      ? createHash('sha256').update(`chat-swarm board session\0${token}`, 'utf8').digest()
      : randomBytes(32);
  }

  /** True when `candidate` is the access token (constant time); always false without one. */
  isToken(candidate: string): boolean {
    return this.token !== undefined && sameSecret(candidate, this.token);
  }

  /** A new session's cookie value: `<id>.<mac>`. */
  create(): string {
    const id = randomBytes(16).toString('hex');
    return `${id}.${this.mac('session', id)}`;
  }

  /** The session id in a cookie value, when its signature holds. */
  verify(cookie: string | undefined): string | undefined {
    if (!cookie || cookie.length > 200) return undefined;
    const [id, mac, extra] = cookie.split('.');
    if (!id || !mac || extra !== undefined || !/^[0-9a-f]{32}$/.test(id)) return undefined;
    return sameSecret(mac, this.mac('session', id)) ? id : undefined;
  }

  /** The CSRF token of a session: sent back in a header on every state-changing call. */
  csrfFor(sessionId: string): string {
    return this.mac('csrf', sessionId);
  }

  /** True when `candidate` is the session's CSRF token (constant time). */
  isCsrf(sessionId: string, candidate: string | undefined): boolean {
    return candidate !== undefined && sameSecret(candidate, this.csrfFor(sessionId));
  }

  private mac(purpose: string, id: string): string {
    return createHmac('sha256', this.key).update(`${purpose}\0${id}`).digest('base64url');
  }
}
