import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from '../agents/worker.ts';
import type { ChatPort, IncomingMessage, SentMessage } from '../chat/chat-port.ts';
import { ChatError, describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { MessageBudget } from './message-budget.ts';
import { decodeProtocol, encodeProtocol, isAddressedTo, isOrchestratorVerb } from './protocol-codec.ts';
import {
  PROTOCOL_LIMITS,
  formatTag,
  grantedTaskSchema,
  parseTag,
  type GrantedTask,
  type ProtocolMessage,
  type ProtocolOf,
  type Tag,
} from './protocol-types.ts';
import { runRemoteAttempt, type RemoteOutcome } from './remote-attempt.ts';
import type { PendingResult, RemoteStore } from './remote-store.ts';

/** Tunables of a remote agent; see `REMOTE_AGENT_DEFAULTS`. */
export interface RemoteAgentSettings {
  /** Messages (edits included) this agent's bot sends per minute at most. */
  messagesPerMinute: number;
  /** A claim not answered within this long is given up (a late grant is then released). */
  claimTimeoutMs: number;
  /** A result not acknowledged within this long is sent again. */
  resultResendMs: number;
  /** How often an idle agent refreshes its status message, so the orchestrator knows it is there. */
  idleHelloMs: number;
  /** Largest total size of the artifacts carried in one result. */
  maxArtifactBytes: number;
  /** How often timers (heartbeats, resends, timeouts) are looked at. */
  loopMs: number;
}

export const REMOTE_AGENT_DEFAULTS = {
  messagesPerMinute: 20,
  claimTimeoutMs: 20_000,
  resultResendMs: 30_000,
  idleHelloMs: 60_000,
  maxArtifactBytes: 6 * 1024 * 1024,
  loopMs: 250,
} as const satisfies RemoteAgentSettings;

export interface RemoteAgentOptions {
  port: ChatPort;
  id: string;
  skills: string[];
  capacity: number;
  worker: Worker;
  /** Root of the attempt folders (`<root>/<task>/attempt-<n>/`). */
  workRoot: string;
  /** Where artifacts are copied while they are checked (default `<workRoot>/.artifacts`). */
  artifactRoot?: string;
  /** Values that must never leave in an artifact (this agent's bot token). */
  secrets?: readonly string[];
  store: RemoteStore;
  /** This agent's handle: what the orchestrator addresses it as (its bot's username on Telegram). */
  handle: string;
  /** The orchestrator's bot: only its messages are read, and only its handle is written to. */
  orchestrator: { botUserId: string; handle: string };
  log: Logger;
  settings?: Partial<RemoteAgentSettings>;
}

interface Running {
  tag: Tag;
  controller: AbortController;
  leaseMs: number;
  pct: number | null;
  text: string;
  answer?: { resolve: (answer: string) => void; reject: (err: Error) => void };
}

const RECENT_IDS = 2_000;

/**
 * An agent on another host: no ledger, only its own bot in the channel. It says hello (and edits
 * that message as its heartbeat), claims what it is offered, runs its worker only for a grant that
 * names its attempt, relays questions, and keeps every result in a small local store until the
 * orchestrator acknowledges or refuses it, across restarts and outages.
 */
export class RemoteAgent {
  private readonly settings: RemoteAgentSettings;
  private readonly budget: MessageBudget;
  private readonly running = new Map<string, Running>();
  private readonly claims = new Map<string, number>();
  private readonly seen = new Set<string>();
  private status: SentMessage | undefined;
  private beat = 0;
  private lastBeatAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private connected = false;
  private connecting: NodeJS.Timeout | undefined;
  private readonly work = new Set<Promise<void>>();

  constructor(private readonly o: RemoteAgentOptions) {
    this.settings = { ...REMOTE_AGENT_DEFAULTS, ...o.settings };
    this.budget = new MessageBudget(this.settings.messagesPerMinute, 60_000, Date.now);
  }

  /** Attempts running now. */
  get busy(): number {
    return this.running.size;
  }

  /** Results kept until the orchestrator answers. */
  get undelivered(): number {
    return this.o.store.pending().length;
  }

  /** Connects (retrying in the background while the platform is unreachable) and says hello. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.timer = setInterval(() => void this.loop(), this.settings.loopMs);
    await this.connect(0);
  }

  private async connect(failures: number): Promise<void> {
    try {
      await this.o.port.start((msg) => this.onMessage(msg));
      this.connected = true;
      this.o.log.info('remote agent connected', { agent: this.o.id, pending: this.undelivered });
    } catch (err) {
      if (err instanceof ChatError && err.permanent) throw err;
      const waitMs = Math.min(30_000, 1_000 * 2 ** failures);
      this.o.log.warn('remote agent: platform unreachable; retrying', {
        retryInMs: waitMs,
        reason: describeError(err),
      });
      this.connecting = setTimeout(() => {
        this.connecting = undefined;
        if (this.started) void this.connect(failures + 1).catch(() => undefined);
      }, waitMs);
    }
  }

  /** Stops the workers (their attempts are given back), then disconnects. Results stay in the store. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    if (this.connecting) clearTimeout(this.connecting);
    const releases: Promise<unknown>[] = [];
    for (const r of this.running.values()) {
      r.controller.abort('agent stopping');
      releases.push(
        this.sendNow(
          { verb: 'release', to: this.o.orchestrator.handle, tag: r.tag, reason: 'agent stopped' },
          true,
        ),
      );
    }
    await Promise.race([Promise.allSettled(releases), new Promise((r) => setTimeout(r, 3_000))]);
    await Promise.allSettled([...this.work]);
    if (this.connected) await this.o.port.stop();
    this.connected = false;
  }

  // Incoming ------------------------------------------------------------------------------------

  private async onMessage(msg: IncomingMessage): Promise<void> {
    // Only the orchestrator's bot speaks the protocol to us; people and other bots are never answered.
    if (msg.author.id !== this.o.orchestrator.botUserId || msg.edited) return;
    if (this.seen.has(msg.messageId)) return;
    this.remember(msg.messageId);
    const decoded = decodeProtocol(msg.text);
    if (!decoded.ok) {
      if (decoded.reason !== 'not_protocol')
        this.o.log.warn('remote agent: unreadable message from the orchestrator', { detail: decoded.detail });
      return;
    }
    const m = decoded.message;
    // On Telegram the adapter knows the bot's username: that is the handle messages reach it by.
    if (!isAddressedTo(m, msg.botUsername ?? this.o.handle) || !isOrchestratorVerb(m.verb)) return;
    try {
      await this.apply(m, msg);
    } catch (err) {
      this.o.log.error('remote agent: could not act on a message', {
        verb: m.verb,
        error: describeError(err),
      });
    }
  }

  private async apply(m: ProtocolMessage, msg: IncomingMessage): Promise<void> {
    switch (m.verb) {
      case 'offer':
        return this.onOffer(m);
      case 'grant':
        return this.onGrant(m, msg);
      case 'taken':
        this.claims.delete(formatTag(m.tag));
        return;
      case 'reply': {
        const r = this.running.get(formatTag(m.tag));
        r?.answer?.resolve(m.answer);
        if (r) delete r.answer;
        return;
      }
      case 'stop':
        this.o.log.info('remote agent: told to stop', { tag: formatTag(m.tag), why: m.why });
        this.running
          .get(formatTag(m.tag))
          ?.controller.abort(`stopped by the orchestrator: ${m.detail ?? m.why}`);
        // A result already finished is still sent: the orchestrator judges it (and refuses it once).
        if (!this.o.store.pending().some((p) => p.tag === formatTag(m.tag)))
          this.o.store.markFinished(formatTag(m.tag));
        return;
      case 'ack':
        this.o.store.settle(formatTag(m.tag));
        return;
      case 'refused':
        this.o.log.warn('remote agent: the orchestrator refused a message', {
          tag: m.tag ? formatTag(m.tag) : undefined,
          why: m.why,
          detail: m.detail,
        });
        if (m.tag && m.why !== 'bad_message') {
          this.running.get(formatTag(m.tag))?.controller.abort('refused by the orchestrator');
          this.o.store.settle(formatTag(m.tag));
        }
        return;
      default:
        return;
    }
  }

  private free(): number {
    return this.o.capacity - this.running.size - this.claims.size;
  }

  private async onOffer(m: ProtocolOf<'offer'>): Promise<void> {
    const key = formatTag(m.tag);
    if (this.free() <= 0 || this.claims.has(key) || this.running.has(key) || this.o.store.isFinished(key))
      return;
    this.claims.set(key, Date.now());
    const sent = await this.sendNow(
      { verb: 'claim', to: this.o.orchestrator.handle, tag: m.tag, agent: this.o.id },
      false,
    );
    if (!sent) this.claims.delete(key);
  }

  private async onGrant(m: ProtocolOf<'grant'>, msg: IncomingMessage): Promise<void> {
    const key = formatTag(m.tag);
    if (this.running.has(key)) return;
    const claimed = this.claims.delete(key);
    if (!claimed || this.o.store.isFinished(key) || this.free() < 0 || m.agent !== this.o.id) {
      // A grant we no longer want (the claim timed out, or we restarted): give it back at once.
      await this.sendNow(
        { verb: 'release', to: this.o.orchestrator.handle, tag: m.tag, reason: 'not wanted any more' },
        true,
      );
      return;
    }
    let task = m.task;
    if (!task) task = await this.fetchTask(m, msg);
    if (!task) {
      await this.sendNow(
        { verb: 'release', to: this.o.orchestrator.handle, tag: m.tag, reason: 'task file unreadable' },
        true,
      );
      return;
    }
    this.startAttempt(m.tag, task, m.leaseMs);
  }

  private async fetchTask(m: ProtocolOf<'grant'>, msg: IncomingMessage): Promise<GrantedTask | undefined> {
    const file = msg.attachments?.find((a) => a.fileName === m.bundle);
    if (!file || !this.o.port.download) return undefined;
    try {
      const raw = await this.o.port.download(file, 4 * 1024 * 1024);
      return grantedTaskSchema.parse(JSON.parse(raw.toString('utf8')));
    } catch (err) {
      this.o.log.warn('remote agent: could not read the granted task file', { error: describeError(err) });
      return undefined;
    }
  }

  // Attempts ------------------------------------------------------------------------------------

  private startAttempt(tag: Tag, task: GrantedTask, leaseMs: number): void {
    const key = formatTag(tag);
    const r: Running = { tag, controller: new AbortController(), leaseMs, pct: null, text: '' };
    this.running.set(key, r);
    this.o.log.info('remote agent: attempt granted; worker starting', { tag: key });
    const job = runRemoteAttempt({
      agentId: this.o.id,
      tag,
      task,
      worker: this.o.worker,
      workRoot: this.o.workRoot,
      artifactRoot: this.o.artifactRoot ?? join(this.o.workRoot, '.artifacts'),
      maxArtifactBytes: this.settings.maxArtifactBytes,
      secrets: this.o.secrets ?? [],
      signal: r.controller.signal,
      log: this.o.log,
      hooks: {
        progress: (pct, text) => {
          r.pct = pct === null ? null : Math.max(0, Math.min(100, Math.round(pct)));
          r.text = text.slice(0, 200);
        },
        ask: (question) =>
          new Promise<string>((resolve, reject) => {
            r.answer = { resolve, reject };
            const stopped = (): void => reject(new Error('attempt stopped'));
            r.controller.signal.addEventListener('abort', stopped, { once: true });
            const ask: ProtocolMessage = {
              verb: 'ask',
              to: this.o.orchestrator.handle,
              tag,
              question: question.slice(0, PROTOCOL_LIMITS.maxQuestionChars),
            };
            // A question lost to an outage is asked again until it goes out or the attempt stops.
            const tryAsk = async (): Promise<void> => {
              while (!r.controller.signal.aborted && this.started && !(await this.sendNow(ask, true)))
                await new Promise((w) => setTimeout(w, 1_000));
            };
            void tryAsk();
          }),
      },
    })
      .then((outcome) => {
        this.running.delete(key);
        if (outcome) this.finish(tag, outcome);
        else this.o.log.info('remote agent: attempt stopped', { tag: key });
        void this.sendHello();
      })
      .catch((err: unknown) =>
        this.o.log.error('remote agent: attempt failed to run', { tag: key, error: describeError(err) }),
      )
      .finally(() => this.work.delete(job));
    this.work.add(job);
    void this.sendHello();
  }

  /** Keeps the outcome in the store first, then sends it: a crash in between loses nothing. */
  private finish(tag: Tag, out: RemoteOutcome): void {
    const key = formatTag(tag);
    const note = out.skipped.length ? `\n${out.skipped.join('\n')}` : '';
    const text = `${out.text}${note}`;
    const inline = encodeProtocol({
      verb: 'result',
      to: this.o.orchestrator.handle,
      tag,
      outcome: out.outcome,
      text,
    });
    if (
      out.artifacts.length === 0 &&
      text.length <= PROTOCOL_LIMITS.maxInlineResultChars &&
      inline.length <= this.inlineBudget()
    ) {
      this.o.store.addPending({ tag: key, outcome: out.outcome, text });
    } else {
      const bundle = `${tag.taskId}-${tag.attempt}.result.json`;
      const content = Buffer.from(
        JSON.stringify({
          tag: key,
          ...(out.outcome === 'ok' ? { output: text } : { error: text }),
          artifacts: out.artifacts,
        }),
      );
      this.o.store.addPending({ tag: key, outcome: out.outcome, bundle }, content);
    }
    void this.deliverPending();
  }

  private async deliver(p: PendingResult): Promise<void> {
    const tag = parseTag(p.tag);
    if (!tag) return;
    const message: ProtocolMessage = {
      verb: 'result',
      to: this.o.orchestrator.handle,
      tag,
      outcome: p.outcome,
      ...(p.text !== undefined ? { text: p.text } : {}),
      ...(p.bundle !== undefined ? { bundle: p.bundle } : {}),
    };
    const attachment = p.bundle
      ? { fileName: p.bundle, content: readFileSync(this.o.store.bundlePath(p.bundle)) }
      : undefined;
    if (await this.sendNow(message, true, attachment)) {
      this.o.store.markSent(p.tag, Date.now());
      this.deliveryFailures = 0;
    } else {
      // Unreachable: wait before the next try (1 s, doubling to 30 s) instead of retrying hot.
      this.deliveryFailures += 1;
      this.nextDeliveryAt = Date.now() + Math.min(30_000, 1_000 * 2 ** (this.deliveryFailures - 1));
    }
  }

  private delivering = false;
  private deliveryFailures = 0;
  private nextDeliveryAt = 0;

  /** Sends every result not sent yet, and again those unanswered for `resultResendMs`. */
  private async deliverPending(): Promise<void> {
    if (this.delivering || !this.connected || Date.now() < this.nextDeliveryAt) return;
    this.delivering = true;
    try {
      const now = Date.now();
      for (const p of this.o.store.pending()) {
        if (p.sentAt === 0 || now - p.sentAt >= this.settings.resultResendMs) await this.deliver(p);
        if (Date.now() < this.nextDeliveryAt) break;
      }
    } finally {
      this.delivering = false;
    }
  }

  // Presence and heartbeats ---------------------------------------------------------------------

  private async loop(): Promise<void> {
    if (!this.connected) return;
    const now = Date.now();
    for (const [key, at] of this.claims) if (now - at > this.settings.claimTimeoutMs) this.claims.delete(key);
    const leases = [...this.running.values()].map((r) => r.leaseMs);
    const every = leases.length ? Math.min(...leases) / 3 : this.settings.idleHelloMs;
    if (!this.status || now - this.lastBeatAt >= every) await this.sendHello();
    await this.deliverPending();
  }

  private helloText(): string {
    return encodeProtocol({
      verb: 'hello',
      to: this.o.orchestrator.handle,
      agent: this.o.id,
      capacity: this.o.capacity,
      free: Math.max(0, this.free()),
      beat: this.beat,
      skills: this.o.skills,
      held: [...this.running.values()].map((r) => ({ tag: r.tag, pct: r.pct, text: r.text })),
    });
  }

  private sayingHello = false;
  private helloAgain = false;

  /**
   * Edits the status message (the heartbeat), or posts it when there is none yet. Asked while one is
   * on its way, it sends once more afterwards: that one may say "busy" when a slot just came free.
   */
  private async sendHello(): Promise<void> {
    if (!this.connected) return;
    if (this.sayingHello) {
      this.helloAgain = true;
      return;
    }
    this.sayingHello = true;
    try {
      this.beat += 1;
      const text = this.helloText();
      if (this.status && this.o.port.edit) {
        if (!this.budget.take('out')) return;
        try {
          await this.o.port.edit(this.status, { text });
          this.lastBeatAt = Date.now();
          return;
        } catch (err) {
          if (!(err instanceof ChatError && err.permanent)) {
            // Tried again next period, not at once: an outage must not burn the budget.
            this.lastBeatAt = Date.now();
            this.o.log.warn('remote agent: heartbeat not sent', { reason: describeError(err) });
            return;
          }
          this.status = undefined; // the status message is gone: post a new one
        }
      }
      if (!this.budget.take('out')) return;
      try {
        this.status = await this.o.port.send({
          text,
          nonce: `hello-${this.o.id}-${Date.now()}`.slice(0, 25),
        });
        this.lastBeatAt = Date.now();
      } catch (err) {
        this.lastBeatAt = Date.now();
        this.o.log.warn('remote agent: hello not sent', { reason: describeError(err) });
      }
    } finally {
      this.sayingHello = false;
      if (this.helloAgain) {
        this.helloAgain = false;
        void this.sendHello();
      }
    }
  }

  // Sending -------------------------------------------------------------------------------------

  /**
   * Sends one protocol message within the budget. An essential message (result, question,
   * release) waits for budget; others are dropped when there is none. False when not sent.
   */
  private async sendNow(
    message: ProtocolMessage,
    essential: boolean,
    attachment?: { fileName: string; content: Buffer },
  ): Promise<boolean> {
    if (!this.connected) return false;
    // Heartbeats need room too: keep two messages a minute for them.
    while (this.budget.left('out') <= (essential ? 0 : 2)) {
      if (!essential || !this.started) return false;
      await new Promise((r) => setTimeout(r, Math.max(100, this.budget.waitMs('out'))));
    }
    this.budget.take('out');
    try {
      await this.o.port.send({
        text: encodeProtocol(message),
        nonce: `${this.o.id}-${message.verb}-${Date.now()}`.slice(0, 25),
        ...(attachment ? { attachment } : {}),
      });
      return true;
    } catch (err) {
      this.o.log.warn('remote agent: message not sent; it is tried again later', {
        verb: message.verb,
        reason: describeError(err),
      });
      return false;
    }
  }

  private inlineBudget(): number {
    return Math.floor(this.o.port.limits.maxTextLength / 2);
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > RECENT_IDS) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
