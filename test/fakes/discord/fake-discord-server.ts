/**
 * A fake Discord server on 127.0.0.1 (real HTTP and WebSocket) that the real discord.js client logs
 * in to: REST under /api/v10 with Discord's rate limiting, the gateway at /gw, fault injection
 * (dropped gateway, whole-server outage, one bot cut off, forced 429s) and a small API for tests that play people.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Errors, type FakeReply } from './fake-api-error.ts';
import {
  DEFAULT_EVERYONE_PERMISSIONS,
  FakeDiscordState,
  type FakeBot,
  type FakeChannel,
  type FakeUser,
} from './fake-discord-state.ts';
import { FakeGateway } from './fake-gateway.ts';
import { FakeMessages, type CreateMessageInput } from './fake-messages.ts';
import { DEFAULT_RATE_LIMITS, FakeRateLimiter, type RateLimitSettings } from './fake-rate-limits.ts';
import { rateGroupOf, routeRequest } from './fake-rest-routes.ts';
import { readRequestBody } from './read-request-body.ts';
import { FakeDiscordTestApi } from './fake-discord-test-api.ts';
import { FakeInteractions, InteractionType, type FakeInteraction } from './fake-interactions.ts';

export interface FakeDiscordOptions {
  bots?: Array<{
    name: string;
    token: string;
    messageContentAllowed?: boolean;
    roles?: string[];
    /** False: invited without the applications.commands scope (command routes answer 50001). */
    commandsScope?: boolean;
  }>;
  users?: Array<{ name: string; roles?: string[] }>;
  /** Roles by name with their guild-wide permissions. */
  roles?: Array<{ name: string; permissions: bigint }>;
  /** Text channels by name; the first one is `channelId`. Default: one channel named `swarm`. */
  channels?: Array<{
    name: string;
    overwrites?: Array<{ role?: string; member?: string; allow?: bigint; deny?: bigint }>;
  }>;
  everyonePermissions?: bigint;
  rateLimits?: Partial<RateLimitSettings>;
  heartbeatIntervalMs?: number;
  nonceWindowMs?: number;
  now?: () => number;
  /** Application command writes allowed per window (their own bucket; default 5 per 20 s). */
  commandWrites?: { limit: number; windowMs: number };
}

export interface RequestRecord {
  /** When the request arrived (ms). */
  at: number;
  /** When its answer was written (ms); 0 until then. */
  answeredAt: number;
  method: string;
  path: string;
  botId: string | null;
  status: number;
}

export interface Forced429 {
  remaining: number;
  retryAfterMs: number;
  global: boolean;
  matches: (method: string, path: string) => boolean;
}

/** An answer forced on matching requests: an outage of one route, or a body of another shape. */
export interface ForcedAnswer {
  remaining: number;
  status: number;
  /** A string is sent as is (as text/html); anything else as JSON (`null` included). */
  body: unknown;
  matches: (method: string, path: string) => boolean;
}

/** Gateway connections to turn away: closed at once with a code, or refused at the HTTP upgrade. */
export interface GatewayRejection {
  remaining: number;
  closeCode?: number;
  httpStatus?: number;
}

const DEFAULTS = { heartbeatIntervalMs: 41_250, nonceWindowMs: 5 * 60_000 } as const;

/** Starts a fake server on a random port; close it with `close()`. */
export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const fake = new FakeDiscord(options);
  await fake.listen(0);
  return fake;
}

export class FakeDiscord extends FakeDiscordTestApi {
  /** Every REST request served, in order. */
  readonly requests: RequestRecord[] = [];
  /** Requests to routes the fake does not implement; a test should expect this to stay empty. */
  readonly unknownRoutes: string[] = [];
  readonly counters = { served429: 0, forced429: 0 };
  /** Gateway connections turned away so far by `rejectGateway`. */
  gatewayRejections = 0;
  /**
   * Runs after a request was handled (the message exists) and before the answer is written, e.g. to
   * kill a client process between "Discord created it" and "the client learnt its id".
   */
  beforeReply: ((record: RequestRecord) => Promise<void> | void) | undefined;
  readonly gateway: FakeGateway;
  /** People's button presses, modal submits, slash commands and autocompletes, and the answers. */
  readonly interactions: FakeInteractions;
  private readonly limiter: FakeRateLimiter;
  private readonly forced: Forced429[] = [];
  private readonly forcedAnswers: ForcedAnswer[] = [];
  private gatewayRejection: GatewayRejection | undefined;
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private offline = false;

  constructor(options: FakeDiscordOptions) {
    const now = options.now ?? Date.now;
    const state = new FakeDiscordState(now, options.everyonePermissions ?? DEFAULT_EVERYONE_PERMISSIONS);
    const gateway = new FakeGateway(state, {
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs,
      url: () => this.gatewayUrl,
    });
    const messages = new FakeMessages(state, gateway, {
      now,
      nonceWindowMs: options.nonceWindowMs ?? DEFAULTS.nonceWindowMs,
    });
    super(state, messages);
    this.gateway = gateway;
    this.interactions = new FakeInteractions(
      state,
      gateway,
      now,
      options.commandWrites ?? { limit: 5, windowMs: 20_000 },
    );
    this.limiter = new FakeRateLimiter({ ...DEFAULT_RATE_LIMITS, ...options.rateLimits }, now);
    populate(state, options);
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/gw') {
        socket.destroy();
        return;
      }
      const rejection = this.takeGatewayRejection();
      if (rejection?.httpStatus !== undefined) {
        socket.end(
          `HTTP/1.1 ${rejection.httpStatus} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        );
        return;
      }
      this.gateway.handleUpgrade(req, socket, head, rejection?.closeCode);
    });
  }

  /** Base URL to give discord.js as `rest.api` (it appends /v10). */
  get apiBase(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gw`;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.state.cdnBase = `http://127.0.0.1:${this.port}`;
    this.offline = false;
  }

  /** Creates answered with an earlier message because their nonce repeated. */
  get messagesDedupedByNonce(): number {
    return this.messages.dedupedByNonce;
  }

  /** Closes every bot's gateway socket with a resumable code; `invalidate` makes RESUME fail (op 9). */
  dropGateway(opts: { code?: number; invalidate?: boolean } = {}): void {
    this.gateway.drop(opts.code ?? 4000, opts.invalidate ?? false);
  }

  /**
   * Cuts one bot off from the platform, as a network outage on its host: its REST requests are
   * dropped unanswered (the connection reset) and its gateway connection goes dead (see
   * `FakeGateway.cutOff`); the other bots go on as before. `reconnectBot` ends it.
   */
  cutOffBot(name: string): void {
    this.gateway.cutOff(this.bot(name).id);
  }

  /** Ends `cutOffBot`: REST answers again, the dead gateway connection is reset and the bot resumes. */
  reconnectBot(name: string): void {
    this.gateway.reconnect(this.bot(name).id);
  }

  /** Stops accepting connections and destroys every open socket, REST and gateway alike. */
  async goOffline(): Promise<void> {
    if (this.offline) return;
    this.offline = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.gateway.destroyAll();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port after `goOffline`. */
  async goOnline(): Promise<void> {
    if (!this.offline) return;
    await this.listen(this.port);
  }

  /** The next `count` requests matching `matches` (default: all) get a 429 with `retryAfterMs`. */
  force429(opts: {
    retryAfterMs: number;
    count?: number;
    global?: boolean;
    matches?: (method: string, path: string) => boolean;
  }): void {
    this.forced.push({
      remaining: opts.count ?? 1,
      retryAfterMs: opts.retryAfterMs,
      global: opts.global ?? false,
      matches: opts.matches ?? (() => true),
    });
  }

  /** The next `count` requests matching `matches` (default: all) get `status` and `body` instead. */
  forceAnswer(opts: {
    status: number;
    body: unknown;
    count?: number;
    matches?: (method: string, path: string) => boolean;
  }): void {
    this.forcedAnswers.push({
      remaining: opts.count ?? 1,
      status: opts.status,
      body: opts.body,
      matches: opts.matches ?? (() => true),
    });
  }

  clearForcedAnswers(): void {
    this.forcedAnswers.length = 0;
  }

  /** Turns away the next `count` gateway connections: closed at once with `closeCode`, or refused with `httpStatus`. */
  rejectGateway(opts: { count: number; closeCode?: number; httpStatus?: number }): void {
    this.gatewayRejection = { remaining: opts.count, ...opts };
  }

  async close(): Promise<void> {
    await this.goOffline();
  }

  /**
   * A person presses a button on a message (the first whose label contains `label`), or sends a
   * `customId` a modified client could forge; the message's bot gets the interaction.
   */
  pressButton(
    userName: string,
    messageId: string,
    button: { label?: string; customId?: string } = {},
  ): FakeInteraction {
    const message = this.findAnyMessage(messageId);
    const shown = (message.components ?? [])
      .flat()
      .find((b) => button.label === undefined || b.label.includes(button.label));
    const customId = button.customId ?? shown?.customId;
    if (customId === undefined) throw new Error(`fake discord: message ${messageId} has no such button`);
    const bot = this.botOf(message.authorId);
    return this.interactions.create(
      bot,
      this.user(userName),
      message.channelId,
      InteractionType.Component,
      { custom_id: customId, component_type: 2 },
      messageId,
    );
  }

  /** A person fills in and submits the modal a button press opened. */
  submitModal(userName: string, openedBy: string, text: string): FakeInteraction {
    const opener = this.interactions.view(openedBy);
    if (!opener?.modal) throw new Error(`fake discord: interaction ${openedBy} opened no modal`);
    const components = opener.modal.inputs.map((input) => ({
      type: 1,
      components: [{ type: 4, custom_id: input.customId, value: text }],
    }));
    return this.interactions.create(
      this.botOf(opener.botId),
      this.user(userName),
      opener.channelId,
      InteractionType.ModalSubmit,
      { custom_id: opener.modal.customId, components },
      opener.messageId,
    );
  }

  /** A person runs a registered slash command with options (typed as the registration says). */
  useCommand(
    userName: string,
    name: string,
    options: Record<string, string | number | boolean> = {},
    where: { channelId?: string; focused?: string } = {},
  ): FakeInteraction {
    const found = this.registeredCommand(name);
    const specs = (found.command.options ?? []) as Array<{ name: string; type: number }>;
    const list = Object.entries(options).map(([key, value]) => {
      const spec = specs.find((o) => o.name === key);
      if (!spec) throw new Error(`fake discord: /${name} has no option ${key}`);
      return { name: key, type: spec.type, value, ...(where.focused === key ? { focused: true } : {}) };
    });
    const type = where.focused === undefined ? InteractionType.Command : InteractionType.Autocomplete;
    return this.interactions.create(found.bot, this.user(userName), where.channelId ?? this.channelId, type, {
      id: found.command.id,
      name,
      type: 1,
      guild_id: this.guildId,
      options: list,
    });
  }

  /** An interaction as the person sees it (the 3-second deadline applied). */
  interaction(id: string): FakeInteraction | undefined {
    return this.interactions.view(id);
  }

  /** The guild's registered commands (all apps), by name. */
  registeredCommands(): string[] {
    return [...this.interactions.registry.commands.values()].flat().map((c) => String(c.name));
  }

  /** How many bulk overwrites of guild commands succeeded. */
  get commandOverwrites(): number {
    return this.interactions.registry.overwrites;
  }

  private registeredCommand(name: string): {
    bot: FakeBot;
    command: Record<string, unknown> & { id?: unknown; options?: unknown };
  } {
    for (const [key, commands] of this.interactions.registry.commands) {
      const command = commands.find((c) => c.name === name);
      const appId = key.split(':')[0];
      const bot = this.state.bots().find((b) => b.applicationId === appId);
      if (command && bot) return { bot, command };
    }
    throw new Error(`fake discord: no registered command /${name}`);
  }

  private botOf(userId: string): FakeBot {
    const bot = this.state.bots().find((b) => b.id === userId);
    if (!bot) throw new Error(`fake discord: ${userId} is not a bot`);
    return bot;
  }

  private findAnyMessage(messageId: string) {
    for (const channelId of this.state.messages.keys()) {
      const m = this.state.findMessage(channelId, messageId);
      if (m) return m;
    }
    throw new Error(`fake discord: no message ${messageId}`);
  }

  private takeGatewayRejection(): GatewayRejection | undefined {
    const r = this.gatewayRejection;
    if (!r || r.remaining <= 0) return undefined;
    r.remaining -= 1;
    this.gatewayRejections += 1;
    return r;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const record: RequestRecord = {
      at: Date.now(),
      answeredAt: 0,
      method,
      path: url.pathname,
      botId: null,
      status: 0,
    };
    this.requests.push(record);
    const reply = (r: FakeReply, headers: Record<string, string> = {}): void => {
      record.status = r.status;
      record.answeredAt = Date.now();
      if (res.destroyed) return;
      // A 204 carries no body and no content type, as Discord answers it.
      res.writeHead(
        r.status,
        r.body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      );
      res.end(r.body === undefined ? undefined : JSON.stringify(r.body));
    };
    let body: Awaited<ReturnType<typeof readRequestBody>>;
    try {
      body = await readRequestBody(req);
    } catch {
      reply({ status: 400, body: { message: '400: Bad Request', code: 0 } });
      return;
    }
    const file = /^\/attachments\/(\d+)\/(\d+)\/[^/]+$/.exec(url.pathname);
    if (method === 'GET' && file) {
      // The CDN: signed URLs, no Authorization header; like Discord's, it answers the bytes.
      const found = this.state.findAttachment(file[1]!, file[2]!);
      record.status = found ? 200 : 404;
      record.answeredAt = Date.now();
      res.writeHead(found ? 200 : 404, { 'content-type': 'application/octet-stream' });
      res.end(found?.content);
      return;
    }
    if (!url.pathname.startsWith('/api/v10/')) {
      this.unknown(method, url.pathname);
      reply(Errors.notFound());
      return;
    }
    const parts = url.pathname
      .slice('/api/v10/'.length)
      .split('/')
      .filter(Boolean)
      .map((p) => decodeURIComponent(p));
    if (parts[0] === 'interactions' || parts[0] === 'webhooks') {
      // Authorised by the interaction token in the path, not a bot token; outside the global limit.
      const answered = this.interactions.route(method, parts, body.json);
      if (answered) reply(answered);
      else {
        this.unknown(method, url.pathname);
        reply(Errors.notFound());
      }
      return;
    }
    const auth = req.headers.authorization ?? '';
    const bot = auth.startsWith('Bot ') ? this.state.botByToken(auth.slice(4)) : undefined;
    if (!bot) {
      reply(Errors.unauthorized());
      return;
    }
    if (this.gateway.isCut(bot.id)) {
      // Never reached Discord: no answer, no record, the connection just fails.
      this.requests.splice(this.requests.indexOf(record), 1);
      req.socket.destroy();
      return;
    }
    record.botId = bot.id;
    const path = `/${parts.join('/')}`;
    const answer = this.forcedAnswers.find((f) => f.remaining > 0 && f.matches(method, path));
    if (answer) {
      answer.remaining -= 1;
      record.status = answer.status;
      record.answeredAt = Date.now();
      const raw = typeof answer.body === 'string';
      res.writeHead(answer.status, { 'content-type': raw ? 'text/html' : 'application/json' });
      res.end(raw ? answer.body : JSON.stringify(answer.body));
      return;
    }
    const forced = this.forced.find((f) => f.remaining > 0 && f.matches(method, path));
    if (forced) {
      forced.remaining -= 1;
      this.counters.forced429 += 1;
      reply(tooManyRequests(forced.retryAfterMs, forced.global), {
        'Retry-After': (forced.retryAfterMs / 1_000).toFixed(3),
        'X-RateLimit-Scope': forced.global ? 'global' : 'user',
        ...(forced.global ? { 'X-RateLimit-Global': 'true' } : {}),
      });
      return;
    }
    const { group, major } = rateGroupOf(method, parts);
    const decision = this.limiter.take(bot.id, group, major);
    if (decision.limited) {
      this.counters.served429 += 1;
      reply(tooManyRequests(decision.limited.retryAfterMs, decision.limited.global), {
        ...decision.headers,
        'Retry-After': (decision.limited.retryAfterMs / 1_000).toFixed(3),
      });
      return;
    }
    const commands = this.interactions.commandsRoute(bot, method, parts, body.raw);
    if (commands && 'limited' in commands) {
      this.counters.served429 += 1;
      reply(tooManyRequests(commands.limited, false), {
        'Retry-After': (commands.limited / 1_000).toFixed(3),
        'X-RateLimit-Scope': 'user',
      });
      return;
    }
    if (commands) {
      reply(commands, decision.headers);
      return;
    }
    const result = routeRequest(
      this.state,
      this.messages,
      { bot, method, parts, query: url.searchParams, body: body.json, files: body.files },
      this.gatewayUrl,
    );
    if (!result) {
      this.unknown(method, url.pathname);
      reply(Errors.notFound(), decision.headers);
      return;
    }
    record.status = result.status;
    if (this.beforeReply) await this.beforeReply(record);
    reply(result, decision.headers);
  }

  private unknown(method: string, path: string): void {
    this.unknownRoutes.push(`${method} ${path}`);
    console.warn(`[fake-discord] unknown route ${method} ${path}`);
  }
}

function tooManyRequests(retryAfterMs: number, global: boolean): FakeReply {
  return {
    status: 429,
    body: { message: 'You are being rate limited.', retry_after: retryAfterMs / 1_000, global, code: 0 },
  };
}

function populate(state: FakeDiscordState, options: FakeDiscordOptions): void {
  const roleIds = new Map<string, string>();
  for (const role of options.roles ?? []) {
    const id = state.nextId();
    roleIds.set(role.name, id);
    state.roles.set(id, { id, name: role.name, permissions: role.permissions });
  }
  const rolesOf = (names: string[] | undefined): string[] => (names ?? []).map((n) => roleIds.get(n) ?? n);
  for (const b of options.bots ?? [{ name: 'orchestrator', token: 'orchestrator-token' }]) {
    const id = state.nextId();
    const bot: FakeBot = {
      id,
      username: b.name,
      bot: true,
      roleIds: rolesOf(b.roles),
      token: b.token,
      applicationId: id,
      messageContentAllowed: b.messageContentAllowed ?? true,
      ...(b.commandsScope === false ? { commandsScope: false } : {}),
    };
    state.users.set(id, bot);
  }
  for (const u of options.users ?? [{ name: 'alice' }]) {
    const user: FakeUser = { id: state.nextId(), username: u.name, bot: false, roleIds: rolesOf(u.roles) };
    state.users.set(user.id, user);
  }
  const userIdByName = (name: string): string =>
    [...state.users.values()].find((u) => u.username === name)?.id ?? name;
  for (const c of options.channels ?? [{ name: 'swarm' }]) {
    const channel: FakeChannel = {
      id: state.nextId(),
      name: c.name,
      type: 0,
      parentId: null,
      archived: false,
      ownerId: null,
      lastMessageId: null,
      overwrites: (c.overwrites ?? []).map((o) => ({
        id: o.member
          ? userIdByName(o.member)
          : o.role === '@everyone'
            ? state.guildId
            : (roleIds.get(o.role ?? '') ?? o.role ?? ''),
        type: o.member ? 1 : 0,
        allow: o.allow ?? 0n,
        deny: o.deny ?? 0n,
      })),
    };
    state.channels.set(channel.id, channel);
    state.messages.set(channel.id, []);
  }
}

export type { CreateMessageInput };
