import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { isLoopbackHost, type BoardAccess } from './board-access.ts';
import { sessionCookieName, type BoardSessions } from './board-session.ts';

/** Who is calling: their session, whether they proved the token, where from. */
export interface Caller {
  sessionId: string | undefined;
  /** Proved the token with a bearer header on this very request (no cookie, so no CSRF to fear). */
  bearer: boolean;
  /** May read the board (token proved, or a tokenless loopback board). */
  canRead: boolean;
  /** May steer the swarm (subject to CSRF checks for cookie sessions). */
  canControl: boolean;
  /** Why `canControl` is false, for the 403. */
  controlRefusal: string | undefined;
  ip: string;
}

/** The Hono environment of the board's routes. */
export type BoardEnv = { Bindings: HttpBindings; Variables: { caller: Caller } };

/** Header of @hono/node-server's marker response: the route answered on the socket itself. */
const ALREADY_SENT = 'x-hono-already-sent';

/** Headers on every response: a strict CSP (no inline script), no framing, no sniffing, no referrer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

const json = (c: Context, status: 401 | 403 | 421, error: string, extra: Record<string, string> = {}) =>
  c.json({ error }, status, extra);

/** The host part of a Host header (`127.0.0.1:7821`, `[::1]:7821`, `localhost`). */
function hostnameOf(hostHeader: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(hostHeader.trim());
  return m?.[1] ?? '';
}

function remoteAddress(c: Context<BoardEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Sets the security headers, refuses foreign Host headers on a loopback board (DNS rebinding),
 * authenticates the caller (bearer header, one-time `?token=` that becomes a session cookie, or the
 * cookie) and decides what they may do. Reads without the token get 401 when a token is configured.
 */
export function boardGuard(access: BoardAccess, sessions: BoardSessions): MiddlewareHandler<BoardEnv> {
  return async (c, next) => {
    const early = await guard(c, next);
    if (early) c.res = early;
    // The live feed writes its own headers on the socket (see the /api/events route).
    if (c.res.headers.has(ALREADY_SENT)) return;
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
  };

  async function guard(c: Context<BoardEnv>, next: () => Promise<void>): Promise<Response | undefined> {
    // A page on evil.example that resolves to 127.0.0.1 must not read a loopback board.
    if (access.loopback && !isLoopbackHost(hostnameOf(c.req.header('host') ?? '')))
      return json(c, 421, 'this board answers only to a loopback address, like http://127.0.0.1');
    const path = c.req.path;
    // Static files hold no data; the page needs them to say what is wrong.
    if (path.startsWith('/assets/')) {
      await next();
      return undefined;
    }

    const authz = c.req.header('authorization');
    const bearerToken = /^Bearer\s+(\S+)\s*$/i.exec(authz ?? '')?.[1];
    const queryToken = c.req.query('token');
    let bearer = false;
    let proved = false;
    if (authz !== undefined) {
      if (!bearerToken || !sessions.isToken(bearerToken))
        return json(c, 401, 'wrong access token', { 'WWW-Authenticate': 'Bearer' });
      bearer = proved = true;
    } else if (queryToken !== undefined) {
      if (c.req.method !== 'GET' || !sessions.isToken(queryToken))
        return json(c, 401, 'wrong access token', { 'WWW-Authenticate': 'Bearer' });
      // The token leaves the address bar (and history) at once; a signed cookie stands for it.
      setSessionCookie(c, sessions.create());
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    let sessionId = sessions.verify(getCookie(c, cookieNameOf(c)));
    if (sessionId !== undefined && access.token !== undefined) proved = true;
    if (access.token !== undefined && !proved)
      return json(
        c,
        401,
        `this board needs its access token: open it once as /?token=<the value of ${access.tokenEnv ?? 'the token variable'}>, or send it as a bearer header`,
        { 'WWW-Authenticate': 'Bearer' },
      );
    if (sessionId === undefined && !bearer && c.req.method === 'GET' && path !== '/api/events') {
      // A tokenless loopback board still gives each page a session, for its CSRF token.
      const cookie = sessions.create();
      setSessionCookie(c, cookie);
      sessionId = sessions.verify(cookie);
    }
    const controls = controlDecision(access, proved);
    c.set('caller', {
      sessionId,
      bearer,
      canRead: true,
      canControl: controls === undefined,
      controlRefusal: controls,
      ip: remoteAddress(c),
    });
    await next();
    return undefined;
  }
}

/** Undefined when the caller may steer; otherwise why not (the 403's text). */
function controlDecision(access: BoardAccess, proved: boolean): string | undefined {
  if (access.controls === 'off')
    return 'this board is read-only (board.controls is "off", or `chat-swarm board` ran without --controls)';
  if (proved) return undefined;
  if (access.controls === 'localhost' && access.loopback && access.token === undefined) return undefined;
  return 'controls need the access token: set board.tokenEnv and open the board with ?token=…';
}

/** The session cookie's name for the port the page was loaded from. */
function cookieNameOf(c: Context): string {
  return sessionCookieName(new URL(c.req.url).port);
}

function setSessionCookie(c: Context, value: string): void {
  setCookie(c, cookieNameOf(c), value, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    maxAge: 7 * 86_400,
  });
}

/**
 * Checks a state-changing request: the caller may steer, and a cookie session proves the request
 * came from the board's own page (same-origin fetch metadata and Origin, and the session's CSRF
 * token in `X-CSRF-Token`). A bearer-header call carries no ambient credential, so it needs none.
 * Returns the refusal response, or undefined to go on.
 */
export function refuseUnsafe(c: Context<BoardEnv>, sessions: BoardSessions): Response | undefined {
  const caller = c.get('caller');
  if (!caller.canControl) return c.json({ error: caller.controlRefusal }, 403);
  if (caller.bearer) return undefined;
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin')
    return c.json({ error: 'cross-site request refused' }, 403);
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== `http://${c.req.header('host') ?? ''}`)
    return c.json({ error: 'cross-origin request refused' }, 403);
  if (caller.sessionId === undefined || !sessions.isCsrf(caller.sessionId, c.req.header('x-csrf-token')))
    return c.json({ error: 'missing or wrong CSRF token; reload the board' }, 403);
  return undefined;
}
