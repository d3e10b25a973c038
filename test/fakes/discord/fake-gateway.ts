/**
 * The fake's gateway: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeat ACKs, RESUME with replay of
 * the events a session missed (or op 9 when the session is gone), and dispatch of guild events to
 * every connected bot that may see them. Sessions outlive their socket, as on Discord, so a dropped
 * connection can resume.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FakeBot, FakeDiscordState } from './fake-discord-state.ts';
import { toApiUser, toGuildCreate } from './fake-discord-json.ts';

export const Intent = { Guilds: 1, GuildMessages: 1 << 9, MessageContent: 1 << 15 } as const;

interface Dispatch {
  s: number;
  t: string;
  d: unknown;
}

export interface GatewaySession {
  id: string;
  bot: FakeBot;
  intents: number;
  seq: number;
  socket: WebSocket | null;
  /** Every dispatch of this session, for replay on RESUME. */
  sent: Dispatch[];
  invalid: boolean;
}

export interface GatewayCounters {
  identifies: number;
  resumes: number;
  invalidSessions: number;
  closesByServer: number;
}

/** Builds a payload for one reader, or undefined when that bot must not receive the event. */
export type PayloadFor = (reader: FakeBot, intents: number) => unknown;

export class FakeGateway {
  readonly sessions = new Map<string, GatewaySession>();
  readonly counters: GatewayCounters = { identifies: 0, resumes: 0, invalidSessions: 0, closesByServer: 0 };
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  /** Bots cut off from the platform (by id), and their sockets that nothing gets through any more. */
  private readonly cut = new Set<string>();
  private readonly blackholed = new Map<WebSocket, string>();

  constructor(
    private readonly state: FakeDiscordState,
    private readonly options: { heartbeatIntervalMs: number; url: () => string },
  ) {}

  /** Number of open gateway sockets, for tests that check a client let go. */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** Accepts a connection; with `closeCode`, closes it at once with that code instead. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, closeCode?: number): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (closeCode === undefined) {
        this.accept(ws);
        return;
      }
      this.counters.closesByServer += 1;
      ws.close(closeCode, 'rejected by the fake server');
    });
  }

  /** Sends an event to every session (connected or resumable) whose bot may receive it. */
  dispatch(t: string, payloadFor: PayloadFor): void {
    for (const session of this.sessions.values()) {
      if (session.invalid) continue;
      const d = payloadFor(session.bot, session.intents);
      if (d !== undefined) this.send(session, t, d);
    }
  }

  /** Closes every bot's socket with `code`; with `invalidate`, their sessions cannot resume. */
  drop(code: number, invalidate: boolean): void {
    for (const session of this.sessions.values()) {
      if (invalidate) session.invalid = true;
      if (session.socket) {
        this.counters.closesByServer += 1;
        session.socket.close(code, 'fake server closed the connection');
        session.socket = null;
      }
    }
  }

  /**
   * Cuts one bot off, as a network outage on its host: nothing passes on its open socket any more
   * (no events, no heartbeat ACKs, so the client finds it a zombie and reconnects), and a new
   * connection that identifies or resumes as it gets no answer. Its session stays resumable and keeps
   * what it misses, as Discord keeps a session for a while after the connection is lost.
   */
  cutOff(botId: string): void {
    this.cut.add(botId);
    for (const session of this.sessions.values())
      if (session.bot.id === botId && session.socket) this.blackholed.set(session.socket, botId);
  }

  /** Ends `cutOff`: the dead connections are reset (as TCP resets them once packets flow again), so the client resumes. */
  reconnect(botId: string): void {
    this.cut.delete(botId);
    for (const [ws, id] of this.blackholed) {
      if (id !== botId) continue;
      this.blackholed.delete(ws);
      ws.terminate();
    }
  }

  /** Whether `botId` is cut off now. */
  isCut(botId: string): boolean {
    return this.cut.has(botId);
  }

  /** Destroys every socket at once, as a network failure would. */
  destroyAll(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    for (const session of this.sessions.values()) session.socket = null;
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    let session: GatewaySession | null = null;
    ws.on('close', (code) => {
      this.sockets.delete(ws);
      this.blackholed.delete(ws);
      if (session && session.socket === ws) {
        session.socket = null;
        // A client that closes cleanly (1000/1001) ends its session; other codes keep it resumable.
        if (code === 1000 || code === 1001) session.invalid = true;
      }
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (raw) => {
      if (this.blackholed.has(ws)) return; // lost on the way, like everything during an outage
      let payload: { op?: number; d?: Record<string, unknown> | number | null };
      try {
        payload = JSON.parse((raw as Buffer).toString()) as typeof payload;
      } catch {
        ws.close(4002, 'Error while decoding payload.');
        return;
      }
      const d = typeof payload.d === 'object' && payload.d !== null ? payload.d : {};
      switch (payload.op) {
        case 1:
          ws.send(JSON.stringify({ op: 11, d: null }));
          return;
        case 2:
          session = this.identify(ws, d);
          return;
        case 6:
          session = this.resume(ws, d);
          return;
        default:
          return;
      }
    });
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.options.heartbeatIntervalMs } }));
  }

  private identify(ws: WebSocket, d: Record<string, unknown>): GatewaySession | null {
    const bot = this.state.botByToken(typeof d.token === 'string' ? d.token : '');
    if (!bot) {
      ws.close(4004, 'Authentication failed.');
      return null;
    }
    if (this.cut.has(bot.id)) {
      this.blackholed.set(ws, bot.id);
      return null;
    }
    const intents = Number(d.intents ?? 0);
    if (intents & Intent.MessageContent && !bot.messageContentAllowed) {
      ws.close(4014, 'Disallowed intent(s).');
      return null;
    }
    this.counters.identifies += 1;
    const session: GatewaySession = {
      id: this.state.nextId(),
      bot,
      intents,
      seq: 0,
      socket: ws,
      sent: [],
      invalid: false,
    };
    this.sessions.set(session.id, session);
    this.send(session, 'READY', {
      v: 10,
      user: { ...toApiUser(bot), verified: true, mfa_enabled: false, flags: 0 },
      guilds: [{ id: this.state.guildId, unavailable: true }],
      session_id: session.id,
      resume_gateway_url: this.options.url(),
      shard: [0, 1],
      application: { id: bot.applicationId, flags: bot.messageContentAllowed ? 1 << 18 : 0 },
    });
    if (intents & Intent.Guilds) this.send(session, 'GUILD_CREATE', toGuildCreate(this.state));
    return session;
  }

  private resume(ws: WebSocket, d: Record<string, unknown>): GatewaySession | null {
    const session = this.sessions.get(typeof d.session_id === 'string' ? d.session_id : '');
    if (!session || session.invalid || session.bot.token !== d.token) {
      this.counters.invalidSessions += 1;
      ws.send(JSON.stringify({ op: 9, d: false }));
      return null;
    }
    if (this.cut.has(session.bot.id)) {
      this.blackholed.set(ws, session.bot.id);
      return null;
    }
    this.counters.resumes += 1;
    session.socket?.terminate();
    session.socket = ws;
    const after = Number(d.seq ?? 0);
    for (const item of session.sent) if (item.s > after) ws.send(JSON.stringify({ op: 0, ...item }));
    this.send(session, 'RESUMED', {});
    return session;
  }

  private send(session: GatewaySession, t: string, d: unknown): void {
    session.seq += 1;
    const item = { s: session.seq, t, d };
    session.sent.push(item);
    if (session.sent.length > 1_000) session.sent.shift();
    if (this.cut.has(session.bot.id)) return; // kept for the replay on RESUME
    if (session.socket && session.socket.readyState === session.socket.OPEN) {
      session.socket.send(JSON.stringify({ op: 0, ...item }));
    }
  }
}
