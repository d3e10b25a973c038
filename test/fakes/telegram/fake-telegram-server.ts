/**
 * A fake Telegram Bot API server on 127.0.0.1 (real HTTP, random port) for driving grammY in tests:
 * `POST /bot<token>/<method>`, real long polling with one poller per token (409 for the older one),
 * flood control with 429s, scriptable 429s and outages, and a test API for people and transcripts.
 * Unknown methods answer 404 and are logged in `stats().unknownCalls` so a test can fail on them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiFailure,
  BOT_API_METHODS,
  documentOf,
  type MethodContext,
  type Params,
} from './bot-api-methods.ts';
import {
  FakeTelegramWorld,
  type FakeAccount,
  type FakeChat,
  type MemberStatus,
  type MentionNotice,
  type StoredMessage,
} from './fake-telegram-world.ts';
import type { FakeCallbackQuery, FakeInlineButton } from './fake-callbacks.ts';
import { createFloodControl, DEFAULT_FLOOD_LIMITS, type FloodLimits } from './flood-control.ts';
import { readParams } from './read-params.ts';
import { transcriptOf, type TranscriptLine } from './transcript.ts';

export interface FakeTelegramServerOptions {
  /** Clock for flood windows and message dates (ms); defaults to Date.now. */
  now?: () => number;
  /** Flood limits, each replaced whole; shrink the windows to keep tests fast. */
  flood?: Partial<FloodLimits>;
  /** Refuse an `&` that starts no entity (default true; the real server keeps it literally). */
  strictAmpersand?: boolean;
  /** How long a button press waits for answerCallbackQuery before the client gives up (default 15 s). */
  callbackAnswerWindowMs?: number;
}

export interface FakeTelegramStats {
  /** Every 429 served, flood control and forced ones alike. */
  tooManyRequests: number;
  tooManyRequestsByBot: Record<string, number>;
  /** getUpdates requests ended with 409 because another poller used the same token. */
  conflicts: number;
  /** Calls per method name as the client spelt it. */
  calls: Record<string, number>;
  /** Requests to unknown paths or methods: a test should fail when this is not empty. */
  unknownCalls: string[];
  /** deleteWebhook calls that asked to drop pending updates. */
  dropPendingUpdates: number;
}

export interface Forced429 {
  retryAfterSeconds: number;
  /** How many requests to refuse; refuse until `clearForced429()` when omitted. */
  count?: number;
  /** Methods to refuse (lower-case or API spelling); every method but getUpdates by default. */
  methods?: string[];
  /** Only this bot's requests. */
  botId?: number;
}

/** An answer that is not the Bot API's shape, as a proxy or another server in front may send. */
export interface ForcedAnswer {
  status: number;
  /** Sent as is: a string (HTML, plain text, broken JSON) or any value as JSON. */
  body: unknown;
  /** How many requests to answer so; until `clearForcedAnswers()` when omitted. */
  count?: number;
  /** Methods to answer so (lower-case or API spelling); every method when omitted. */
  methods?: string[];
  /** Only this bot's requests. */
  botId?: number;
}

interface Poller {
  botId: number;
  finish(result: { updates: unknown[] } | ApiFailure): void;
}

/** Member entry for chat creation: an account, optionally with a status other than `member`. */
export type MemberSpec = FakeAccount | { account: FakeAccount; status: MemberStatus };

/** The running fake; see the file comment. */
export class FakeTelegramServer {
  readonly world: FakeTelegramWorld;
  private readonly server: Server;
  private readonly flood;
  private readonly strictAmpersand: boolean;
  private readonly commands = new Map<string, unknown[]>();
  private readonly pollers = new Map<number, Poller>();
  /** Each bot's last `allowed_updates` (the server keeps it until the next getUpdates that sets it). */
  private readonly allowedUpdates = new Map<number, string[]>();
  private readonly statsData: FakeTelegramStats = {
    tooManyRequests: 0,
    tooManyRequestsByBot: {},
    conflicts: 0,
    calls: {},
    unknownCalls: [],
    dropPendingUpdates: 0,
  };
  private forced: (Forced429 & { left: number }) | undefined;
  private forcedAnswers: Array<ForcedAnswer & { left: number }> = [];
  private pollTimeoutIgnored = false;
  private portNumber = 0;
  private down = false;

  private constructor(options: FakeTelegramServerOptions) {
    const now = options.now ?? Date.now;
    this.world = new FakeTelegramWorld(now, options.callbackAnswerWindowMs);
    this.flood = createFloodControl({ ...DEFAULT_FLOOD_LIMITS, ...options.flood }, now);
    this.strictAmpersand = options.strictAmpersand ?? true;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.reply(res, new ApiFailure(500, `Internal Server Error: ${String(err)}`));
      });
    });
  }

  /** Starts a fake on a random loopback port. */
  static async start(options: FakeTelegramServerOptions = {}): Promise<FakeTelegramServer> {
    const fake = new FakeTelegramServer(options);
    await fake.listen(0);
    return fake;
  }

  /** Base URL for grammY's `apiRoot` (no trailing slash). */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  get port(): number {
    return this.portNumber;
  }

  addBot(
    username: string,
    options: { firstName?: string; privacyMode?: boolean; botToBot?: boolean } = {},
  ): FakeAccount {
    return this.world.addBot(username, options);
  }

  /** Switches a bot's Bot-to-Bot Communication Mode, as its owner would in @BotFather. */
  setBotToBot(botId: number, on: boolean): void {
    this.world.account(botId).botToBot = on;
  }

  addUser(firstName: string, username?: string): FakeAccount {
    return this.world.addUser(firstName, username);
  }

  /** Creates a chat (a supergroup unless `type: 'group'`) with its members; the first person is creator. */
  createChat(
    title: string,
    options: { members: MemberSpec[]; type?: 'group' | 'supergroup'; isForum?: boolean; username?: string },
  ): FakeChat {
    const chat = this.world.createChat(title, options);
    let creatorSet = false;
    for (const spec of options.members) {
      const [account, status] = 'account' in spec ? [spec.account, spec.status] : [spec, undefined];
      const resolved = status ?? (!account.isBot && !creatorSet ? 'creator' : 'member');
      if (resolved === 'creator') creatorSet = true;
      chat.members.set(account.id, resolved);
    }
    return chat;
  }

  setMemberStatus(chatId: number, accountId: number, status: MemberStatus): void {
    this.world.chat(chatId).members.set(accountId, status);
  }

  setPrivacyMode(botId: number, on: boolean): void {
    this.world.account(botId).privacyMode = on;
  }

  /** Opens a forum topic; returns its `message_thread_id` (the id of its first, service message). */
  createTopic(chatId: number, name: string, byAccountId?: number): number {
    const chat = this.world.chat(chatId);
    if (!chat.isForum) throw new Error(`fake telegram: chat ${chatId} is not a forum`);
    const creator =
      byAccountId ?? [...chat.members].find(([, s]) => s === 'creator')?.[0] ?? [...chat.members.keys()][0]!;
    const root = this.world.post(chat, {
      fromId: creator,
      text: '',
      entities: [],
      service: { forumTopicCreated: name },
    });
    return root.messageId;
  }

  /** Upgrades a basic group to a supergroup: new id, same members, service messages in both. */
  migrateToSupergroup(chatId: number): number {
    const old = this.world.chat(chatId);
    if (old.type !== 'group') throw new Error('fake telegram: only basic groups migrate');
    const next = this.world.createChat(old.title, { type: 'supergroup' });
    for (const [id, status] of old.members) next.members.set(id, status);
    const by = [...old.members].find(([, s]) => s === 'creator')?.[0] ?? [...old.members.keys()][0]!;
    this.world.post(old, { fromId: by, text: '', entities: [], service: { migrateToChatId: next.id } });
    old.migratedTo = next.id;
    this.world.post(next, { fromId: by, text: '', entities: [], service: { migrateFromChatId: old.id } });
    return next.id;
  }

  /** Posts as a person, the way their Telegram app would; bots receive it by the visibility rules. */
  postAsUser(
    chatId: number,
    userId: number,
    text: string,
    options: { replyTo?: number; threadId?: number } = {},
  ): StoredMessage {
    const chat = this.world.chat(chatId);
    if (!this.world.isMember(chat, userId))
      throw new Error(`fake telegram: ${userId} is not in chat ${chatId}`);
    const command = /^\/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?/.exec(text);
    return this.world.post(chat, {
      fromId: userId,
      text,
      entities: command ? [{ type: 'bot_command', offset: 0, length: command[0].length }] : [],
      ...(options.replyTo === undefined ? {} : { replyTo: options.replyTo }),
      ...(options.threadId === undefined ? {} : { threadId: options.threadId }),
    });
  }

  /**
   * A person presses a button on a bot's message, as their app would: the first button whose text
   * contains `button.text` (or the first one), or `button.data` as a modified client could forge it.
   */
  pressButton(
    chatId: number,
    messageId: number,
    userId: number,
    button: { text?: string; data?: string } = {},
  ): FakeCallbackQuery {
    const chat = this.world.chat(chatId);
    const message = chat.messages.get(messageId);
    if (!message) throw new Error(`fake telegram: no message ${messageId} in ${chatId}`);
    return this.world.callbacks.press(chat, message, this.world.account(userId), button);
  }

  /** A button press by its id, with its answer once the bot gave one. */
  callbackQuery(id: string): FakeCallbackQuery | undefined {
    const q = this.world.callbacks.queries.get(id);
    return q && structuredClone(q);
  }

  /** Presses whose progress indicator ran out without an answer. */
  unansweredCallbacks(): FakeCallbackQuery[] {
    return this.world.callbacks.unanswered();
  }

  /** The buttons under a message (text and data), row by row; empty when it has none. */
  buttonsOf(chatId: number, messageId: number): FakeInlineButton[][] {
    const markup = this.world.chat(chatId).messages.get(messageId)?.replyMarkup;
    return markup?.kind === 'inline' ? structuredClone(markup.rows) : [];
  }

  /** The ForceReply request on a message, if any. */
  forceReplyOf(chatId: number, messageId: number): { placeholder?: string } | undefined {
    const markup = this.world.chat(chatId).messages.get(messageId)?.replyMarkup;
    return markup?.kind === 'forceReply'
      ? { ...(markup.placeholder ? { placeholder: markup.placeholder } : {}) }
      : undefined;
  }

  /** Posts as a bot outside the HTTP API (a bot that is not under test); no flood control. */
  postAsBot(chatId: number, botId: number, text: string): StoredMessage {
    return this.world.post(this.world.chat(chatId), { fromId: botId, text, entities: [] });
  }

  /** Mention notifications in the chat (or all chats), in order: who was pinged by which message. */
  mentions(chatId?: number): MentionNotice[] {
    return this.world.mentions.filter((m) => chatId === undefined || m.chatId === chatId);
  }

  /** Every message in the chat, in id order, as people see it. */
  transcript(chatId: number): TranscriptLine[] {
    return transcriptOf(this.world, this.world.chat(chatId));
  }

  stats(): FakeTelegramStats {
    return structuredClone(this.statsData);
  }

  /** Answers 429 with `retry_after` to matching requests until cleared or `count` ran out. */
  force429(forced: Forced429): void {
    this.forced = { ...forced, left: forced.count ?? Number.POSITIVE_INFINITY };
  }

  clearForced429(): void {
    this.forced = undefined;
  }

  /** Answers matching requests with `status` and `body` instead of the Bot API's answer. */
  forceAnswer(forced: ForcedAnswer): void {
    this.forcedAnswers.push({ ...forced, left: forced.count ?? Number.POSITIVE_INFINITY });
  }

  clearForcedAnswers(): void {
    this.forcedAnswers = [];
  }

  /** Like a server or proxy that ignores `timeout`: getUpdates answers at once, empty when nothing waits. */
  ignorePollTimeout(on = true): void {
    this.pollTimeoutIgnored = on;
  }

  /** Stops accepting connections and destroys open ones (long polls included), like a lost network. */
  async goDown(): Promise<void> {
    if (this.down) return;
    this.down = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    this.pollers.clear();
    await closed;
  }

  /** Listens again on the same port; the state (chats, pending updates) is as it was. */
  async goUp(): Promise<void> {
    if (!this.down) return;
    await this.listen(this.portNumber);
    this.down = false;
  }

  get isDown(): boolean {
    return this.down;
  }

  /** Stops the server for good and releases every socket and timer. */
  async close(): Promise<void> {
    for (const poller of [...this.pollers.values()]) poller.finish({ updates: [] });
    if (this.down) return;
    this.down = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.portNumber = (this.server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const file = /^\/file\/bot([^/]+)\/documents\/([^/]+)$/.exec(url.pathname);
    if (file) {
      // File downloads: the token in the path must be a bot's; the bytes come back as they were sent.
      const owner = this.world.botByToken(decodeURIComponent(file[1]!));
      const doc = owner ? documentOf(this.world, decodeURIComponent(file[2]!)) : undefined;
      res.writeHead(doc ? 200 : 404, { 'content-type': 'application/octet-stream' });
      res.end(doc?.content);
      return;
    }
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) {
      this.statsData.unknownCalls.push(
        `${req.method ?? '?'} ${url.pathname.replace(/\/bot[^/]+/, '/bot<token>')}`,
      );
      return this.reply(res, new ApiFailure(404, 'Not Found'));
    }
    const [, token, methodName] = match as unknown as [string, string, string];
    const method = methodName.toLowerCase();
    this.statsData.calls[methodName] = (this.statsData.calls[methodName] ?? 0) + 1;
    const bot = this.world.botByToken(decodeURIComponent(token));
    if (!bot) return this.reply(res, new ApiFailure(401, 'Unauthorized'));
    let params: Params;
    try {
      params = await readParams(req, url);
    } catch {
      return this.reply(res, new ApiFailure(400, "Bad Request: can't parse request body"));
    }
    const answer = this.takeForcedAnswer(bot, method);
    if (answer) return this.replyRaw(res, answer.status, answer.body);
    const forced = this.takeForced429(bot, method);
    if (forced) return this.reply(res, forced, bot);
    if (method === 'getupdates') return this.getUpdates(bot, params, res);
    const handler = BOT_API_METHODS[method];
    if (!handler) {
      this.statsData.unknownCalls.push(methodName);
      return this.reply(res, new ApiFailure(404, 'Not Found'));
    }
    if (method === 'deletewebhook' && params.drop_pending_updates === true) {
      this.statsData.dropPendingUpdates += 1;
      this.world.dropUpdates(bot.id);
    }
    const ctx: MethodContext = {
      world: this.world,
      bot,
      params,
      strictAmpersand: this.strictAmpersand,
      commands: this.commands,
      spend: (chat) => {
        const isGroup = chat.type === 'group' || chat.type === 'supergroup';
        const limited = this.flood.check(bot.id, chat.id, isGroup);
        if (limited) {
          const seconds = limited.retryAfterSeconds;
          throw new ApiFailure(429, `Too Many Requests: retry after ${seconds}`, { retry_after: seconds });
        }
        this.flood.record(bot.id, chat.id, isGroup);
      },
    };
    try {
      this.reply(res, { result: handler(ctx) }, bot);
    } catch (err) {
      if (!(err instanceof ApiFailure)) throw err;
      this.reply(res, err, bot);
    }
  }

  private takeForcedAnswer(bot: FakeAccount, method: string): ForcedAnswer | undefined {
    const f = this.forcedAnswers.find(
      (a) =>
        a.left > 0 &&
        (a.botId === undefined || a.botId === bot.id) &&
        (a.methods === undefined || a.methods.some((m) => m.toLowerCase() === method)),
    );
    if (f) f.left -= 1;
    return f;
  }

  private takeForced429(bot: FakeAccount, method: string): ApiFailure | undefined {
    const f = this.forced;
    if (!f || f.left <= 0 || (f.botId !== undefined && f.botId !== bot.id)) return undefined;
    const methods = f.methods?.map((m) => m.toLowerCase());
    if (methods ? !methods.includes(method) : method === 'getupdates') return undefined;
    f.left -= 1;
    return new ApiFailure(429, `Too Many Requests: retry after ${f.retryAfterSeconds}`, {
      retry_after: f.retryAfterSeconds,
    });
  }

  /** Long polling: answers at once when updates wait, else when one arrives or `timeout` runs out. */
  private getUpdates(bot: FakeAccount, params: Params, res: ServerResponse): void {
    const previous = this.pollers.get(bot.id);
    if (previous) {
      this.statsData.conflicts += 1;
      previous.finish(
        new ApiFailure(
          409,
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
        ),
      );
    }
    const offset = params.offset === undefined ? undefined : Number(params.offset);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
    const timeoutMs = this.pollTimeoutIgnored ? 0 : Math.max(0, Number(params.timeout ?? 0)) * 1_000;
    if (Array.isArray(params.allowed_updates))
      this.allowedUpdates.set(
        bot.id,
        params.allowed_updates.map((u) => String(u)),
      );
    const allowed = this.allowedUpdates.get(bot.id);
    const available = this.world.takeUpdates(bot.id, offset, limit, allowed);
    if (available.length > 0 || timeoutMs === 0) return this.reply(res, { result: available }, bot);
    const timers: { timer?: NodeJS.Timeout } = {};
    let unsubscribe = (): void => {};
    const poller: Poller = {
      botId: bot.id,
      finish: (result) => {
        clearTimeout(timers.timer);
        unsubscribe();
        if (this.pollers.get(bot.id) === poller) this.pollers.delete(bot.id);
        if (!res.writableEnded && !res.destroyed) {
          this.reply(res, result instanceof ApiFailure ? result : { result: result.updates }, bot);
        }
      },
    };
    this.pollers.set(bot.id, poller);
    unsubscribe = this.world.onUpdate(bot.id, () =>
      poller.finish({ updates: this.world.takeUpdates(bot.id, undefined, limit, allowed) }),
    );
    timers.timer = setTimeout(() => poller.finish({ updates: [] }), timeoutMs);
    // A client that gives up (abort, stop) must not keep the slot: the next poll is not a conflict.
    res.on('close', () => {
      clearTimeout(timers.timer);
      unsubscribe();
      if (this.pollers.get(bot.id) === poller) this.pollers.delete(bot.id);
    });
  }

  private replyRaw(res: ServerResponse, status: number, body: unknown): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const type = typeof body === 'string' ? 'text/html' : 'application/json';
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private reply(res: ServerResponse, outcome: { result: unknown } | ApiFailure, bot?: FakeAccount): void {
    let status = 200;
    let body: Record<string, unknown>;
    if (outcome instanceof ApiFailure) {
      status = outcome.code;
      body = { ok: false, error_code: outcome.code, description: outcome.description };
      if (outcome.parameters) body.parameters = outcome.parameters;
      if (outcome.code === 429) {
        this.statsData.tooManyRequests += 1;
        const name = bot?.username ?? 'unknown';
        this.statsData.tooManyRequestsByBot[name] = (this.statsData.tooManyRequestsByBot[name] ?? 0) + 1;
      }
    } else {
      body = { ok: true, result: outcome.result };
    }
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  }
}
