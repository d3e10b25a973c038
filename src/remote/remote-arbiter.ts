import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingAttachment, IncomingMessage } from '../chat/chat-port.ts';
import { describeError, LedgerError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { MessageBudget } from './message-budget.ts';
import { decodeProtocol, encodeProtocol, isAddressedTo, isAgentVerb } from './protocol-codec.ts';
import { formatTag, type ProtocolMessage, type ProtocolOf, type Tag } from './protocol-types.ts';
import { recordRemoteAgents, type RemoteAgentEntry } from './remote-registry.ts';
import { remoteAttemptDir, takeInResult } from './result-intake.ts';

/** Tunables of the arbiter; see `ARBITER_DEFAULTS`. */
export interface ArbiterSettings {
  /** How many present agents one open attempt is offered to at once (more: faster, more messages). */
  offerFanout: number;
  /** An offer nobody claimed within this long is made to the next agent. */
  offerTimeoutMs: number;
  /** An agent not heard from for this long gets no offers (its leases run out on their own). */
  presenceTtlMs: number;
  /** Protocol messages (edits included) one agent's bot may make the orchestrator act on per minute. */
  messagesPerMinute: number;
  /** Largest result file (the JSON bundle with its artifacts). */
  maxResultBytes: number;
  /** How often offers, answers and stops are looked for. */
  tickMs: number;
}

export const ARBITER_DEFAULTS = {
  offerFanout: 1,
  offerTimeoutMs: 20_000,
  presenceTtlMs: 120_000,
  messagesPerMinute: 30,
  maxResultBytes: 8 * 1024 * 1024,
  tickMs: 500,
} as const satisfies ArbiterSettings;

export interface ArbiterOptions {
  ledger: Ledger;
  /** The outbox channel protocol messages go to ('main'). */
  channel: string;
  platform: string;
  agents: RemoteAgentEntry[];
  /** The orchestrator's handle; when absent, the bot username the adapter reports (Telegram). */
  handle?: string;
  log: Logger;
  /** Root of the orchestrator's remote files: task files it sends, results and artifacts it keeps. */
  workDir: string;
  /** Longest text the channel takes in one message. */
  maxTextChars: number;
  download?: (attachment: IncomingAttachment, maxBytes: number) => Promise<Buffer>;
  /** Wakes the poster after an outbox write. */
  kick?: () => void;
  settings?: Partial<ArbiterSettings>;
}

/**
 * Protocol messages go before any mirror message (a grant waiting behind status edits is a slow
 * claim), and answers to an agent's claim, question or result before offers and acknowledgements.
 */
export const PROTOCOL_PRIORITY = { answer: -2, offer: -1 } as const;

/** Verbs an agent is waiting on; offers and acks can wait a little. */
const ANSWER_VERBS: ReadonlySet<string> = new Set(['grant', 'taken', 'reply', 'stop', 'refused']);

interface Presence {
  lastHeardAt: number;
  capacity: number;
  free: number;
  skills: string[];
  statusMessageId: string;
}

interface Tracked {
  tag: Tag;
  agentId: string;
  stopped: boolean;
}

type Outcome = 'applied' | 'refused' | 'invalid' | 'duplicate' | 'ignored';

/**
 * The orchestrator's side of the remote-agent protocol. Reads protocol messages from configured
 * agents' bots (and refuses them from anyone else), applies claims, heartbeats, questions and
 * results to the ledger through its fenced operations, and sends offers, grants, answers, stops and
 * acknowledgements through the outbox, so they are paced with the mirror and survive a restart.
 */
export class RemoteArbiter {
  private readonly settings: ArbiterSettings;
  private readonly byUserId = new Map<string, RemoteAgentEntry>();
  private readonly byId = new Map<string, RemoteAgentEntry>();
  private readonly presence = new Map<string, Presence>();
  private readonly offers = new Map<string, { at: number; agents: Set<string> }>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly budget: MessageBudget;
  private readonly overBudgetLogged = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ArbiterOptions) {
    this.settings = { ...ARBITER_DEFAULTS, ...options.settings };
    for (const a of options.agents) {
      this.byUserId.set(a.botUserId, a);
      this.byId.set(a.id, a);
    }
    this.budget = new MessageBudget(this.settings.messagesPerMinute, 60_000, () => this.now());
  }

  private get ledger(): Ledger {
    return this.options.ledger;
  }

  private now(): number {
    return this.ledger.core.now();
  }

  /** Bot user ids whose messages the adapter must deliver. */
  get botUserIds(): string[] {
    return [...this.byUserId.keys()];
  }

  /**
   * Picks up the attempts remote agents hold and gives each one more lease: while the orchestrator
   * was down nobody could hear their heartbeats, which is not the agents' fault.
   */
  start(): void {
    recordRemoteAgents(this.ledger, this.options.platform, this.options.agents);
    for (const agent of this.options.agents) {
      for (const task of this.ledger.heldBy(agent.id)) {
        const ref = { taskId: task.id, attempt: task.attempt, agentId: agent.id };
        this.track({ taskId: task.id, attempt: task.attempt }, agent.id);
        this.ledger.heartbeat(ref, this.leaseOf(agent));
      }
    }
    this.timer = setInterval(() => this.tick(), this.settings.tickMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Takes a message when it is the protocol's business: anything from a configured agent's bot, and
   * protocol text from anyone else (refused and logged). Returns false for everything else, which
   * then goes to the command handler. Never throws.
   */
  async handle(msg: IncomingMessage): Promise<boolean> {
    const agent = msg.author.isBot ? this.byUserId.get(msg.author.id) : undefined;
    try {
      if (!agent) return this.refuseStranger(msg);
      await this.fromAgent(agent, msg);
    } catch (err) {
      this.options.log.error('remote: could not handle a protocol message', {
        messageId: msg.messageId,
        error: describeError(err),
      });
    }
    return true;
  }

  /** A person or an unconfigured bot writing protocol: changes nothing, leaves a trace. */
  private refuseStranger(msg: IncomingMessage): boolean {
    const decoded = decodeProtocol(msg.text);
    if (!decoded.ok && decoded.reason === 'not_protocol') return false;
    this.options.log.warn(
      'remote: protocol message from someone who is not a configured remote agent; refused',
      {
        author: `${msg.author.name} [${msg.author.id}]`,
        isBot: msg.author.isBot,
        messageId: msg.messageId,
      },
    );
    if (!msg.edited) this.recordInbox(msg, 'refused', msg.text.slice(0, 300));
    return true;
  }

  private async fromAgent(agent: RemoteAgentEntry, msg: IncomingMessage): Promise<void> {
    const { log } = this.options;
    if (!this.budget.take(agent.id)) {
      const last = this.overBudgetLogged.get(agent.id) ?? 0;
      if (this.now() - last > 60_000) {
        this.overBudgetLogged.set(agent.id, this.now());
        log.warn('remote: agent is over its message budget; its messages are ignored for now', {
          agent: agent.id,
          perMinute: this.settings.messagesPerMinute,
        });
      }
      if (!msg.edited) this.recordInbox(msg, 'refused', '');
      return;
    }
    const decoded = decodeProtocol(msg.text);
    if (!decoded.ok) {
      if (decoded.reason === 'not_protocol') return; // an agent's bot chatting: not for us
      log.warn('remote: unreadable protocol message refused', {
        agent: agent.id,
        messageId: msg.messageId,
        reason: decoded.reason,
        detail: decoded.detail,
      });
      if (!msg.edited && this.recordInbox(msg, 'invalid', msg.text.slice(0, 300)))
        this.send(agent, { verb: 'refused', to: agent.handle, why: 'bad_message', detail: decoded.detail });
      return;
    }
    const m = decoded.message;
    const me = this.options.handle ?? msg.botUsername;
    if (me === undefined || !isAddressedTo(m, me)) return; // for another bot: never answered
    if (!isAgentVerb(m.verb)) {
      log.warn('remote: agent sent an orchestrator verb; refused', { agent: agent.id, verb: m.verb });
      return;
    }
    this.ledger.agentHeartbeat(agent.id);
    if (m.verb === 'hello') return this.onHello(agent, m, msg);
    if (msg.edited) return; // only the status message is edited; other edits change nothing
    switch (m.verb) {
      case 'claim':
        return this.onClaim(agent, m, msg);
      case 'ask':
        return this.onAsk(agent, m, msg);
      case 'result':
        return this.onResult(agent, m, msg);
      case 'release':
        return this.onRelease(agent, m, msg);
    }
  }

  // Agent messages ------------------------------------------------------------------------------

  private onHello(agent: RemoteAgentEntry, m: ProtocolOf<'hello'>, msg: IncomingMessage): void {
    if (m.agent !== agent.id) {
      this.options.log.warn('remote: a bot spoke for another agent id; refused', {
        bot: msg.author.id,
        configured: agent.id,
        claimed: m.agent,
      });
      return;
    }
    const before = this.presence.get(agent.id);
    const known = this.ledger.getAgent(agent.id);
    const changed =
      !known ||
      known.capacity !== m.capacity ||
      known.skills.join(',') !== m.skills.join(',') ||
      known.status === 'offline' ||
      before?.statusMessageId !== msg.messageId;
    this.presence.set(agent.id, {
      lastHeardAt: this.now(),
      capacity: m.capacity,
      free: m.free,
      skills: m.skills,
      statusMessageId: msg.messageId,
    });
    if (changed && !msg.edited) {
      this.ledger.registerAgent({ id: agent.id, skills: m.skills, capacity: m.capacity });
    }
    for (const held of m.held) this.beat(agent, held);
  }

  /** One held attempt's heartbeat: extends its lease (with progress when it moved), or stops it. */
  private beat(agent: RemoteAgentEntry, held: ProtocolOf<'hello'>['held'][number]): void {
    const ref = { ...held.tag, agentId: agent.id };
    const row = this.ledger.core.taskRow(ref.taskId);
    const current =
      row !== undefined &&
      (row.status === 'claimed' || row.status === 'blocked') &&
      row.attempt === ref.attempt &&
      row.owner === agent.id;
    if (!current) {
      this.stopAttempt(agent, held.tag);
      return;
    }
    this.track(held.tag, agent.id);
    const moved = held.pct !== row.progress_pct || (held.text || null) !== row.progress_text;
    const res =
      moved && (held.pct !== null || held.text)
        ? this.ledger.progress(ref, held.pct, held.text)
        : this.ledger.heartbeat(ref, this.leaseOf(agent));
    if (!res.ok) this.stopAttempt(agent, held.tag);
  }

  private onClaim(agent: RemoteAgentEntry, m: ProtocolOf<'claim'>, msg: IncomingMessage): void {
    const { ledger } = this;
    ledger.transaction(() => {
      if (!this.recordFresh(msg)) return;
      const refuse = (why: string, detail: string): void => {
        this.setOutcome(msg, 'refused', msg.text);
        this.send(agent, { verb: 'taken', to: agent.handle, tag: m.tag, why, detail });
      };
      if (m.agent !== agent.id) return refuse('wrong_agent', `this bot is ${agent.id}, not ${m.agent}`);
      const row = ledger.core.taskRow(m.tag.taskId);
      if (!row) return refuse('unknown_task', `no task ${m.tag.taskId}`);
      const registered = ledger.getAgent(agent.id);
      if (!registered) return refuse('no_hello', 'send /hello first');
      if (
        row.attempt === m.tag.attempt &&
        row.owner === agent.id &&
        ['claimed', 'blocked'].includes(row.status)
      ) {
        // The claim came twice (resent after a lost answer): the grant stands, say it again.
        this.setOutcome(msg, 'applied', msg.text);
        this.sendGrant(agent, m.tag);
        return;
      }
      if (row.attempt + 1 !== m.tag.attempt)
        return refuse(
          'taken',
          `attempt ${m.tag.attempt} is not open (the task is ${row.status}, attempt ${row.attempt})`,
        );
      const res = ledger.claimTask(m.tag.taskId, {
        id: agent.id,
        skills: registered.skills,
        leaseMs: this.leaseOf(agent),
      });
      if (res.kind !== 'claimed') {
        const why = res.kind === 'not_eligible' ? 'not_eligible' : res.kind;
        return refuse(why, res.kind === 'not_eligible' ? res.reason : `the task is ${res.kind}`);
      }
      this.setOutcome(msg, 'applied', msg.text);
      this.offers.delete(formatTag(m.tag));
      this.track(m.tag, agent.id);
      this.sendGrant(agent, m.tag);
    });
  }

  private onAsk(agent: RemoteAgentEntry, m: ProtocolOf<'ask'>, msg: IncomingMessage): void {
    this.ledger.transaction(() => {
      if (!this.recordFresh(msg)) return;
      if (!this.checkOwner(agent, m.tag, msg)) return;
      const res = this.ledger.ask({ ...m.tag, agentId: agent.id }, m.question);
      this.setOutcome(msg, res.ok ? 'applied' : 'refused', msg.text);
      if (!res.ok) this.refuseStale(agent, m.tag);
    });
  }

  private onRelease(agent: RemoteAgentEntry, m: ProtocolOf<'release'>, msg: IncomingMessage): void {
    this.ledger.transaction(() => {
      if (!this.recordFresh(msg)) return;
      if (!this.checkOwner(agent, m.tag, msg)) return;
      const res = this.ledger.release({ ...m.tag, agentId: agent.id }, m.reason);
      this.setOutcome(msg, res.ok ? 'applied' : 'refused', msg.text);
      this.untrack(m.tag);
      if (res.ok) this.send(agent, { verb: 'ack', to: agent.handle, tag: m.tag, outcome: 'released' });
    });
  }

  private async onResult(
    agent: RemoteAgentEntry,
    m: ProtocolOf<'result'>,
    msg: IncomingMessage,
  ): Promise<void> {
    const { ledger } = this;
    const { log } = this.options;
    if (ledger.inbox.has(msg.platform, msg.channelId, msg.messageId)) return;
    const attempt = this.attemptRow(m.tag);
    if (!attempt || attempt.agent_id !== agent.id) {
      // Someone else's attempt, or none: bad input, the ledger is left alone.
      this.recordInbox(msg, 'refused', msg.text.slice(0, 300));
      log.warn("remote: result for an attempt that is not this agent's; refused", {
        agent: agent.id,
        tag: formatTag(m.tag),
      });
      this.send(agent, {
        verb: 'refused',
        to: agent.handle,
        tag: m.tag,
        why: attempt ? 'not_yours' : 'unknown_attempt',
        detail: attempt ? `${formatTag(m.tag)} belongs to another agent` : `there is no ${formatTag(m.tag)}`,
      });
      return;
    }
    if (attempt.outcome === 'done' || attempt.outcome === 'review') {
      // Delivered again (an agent that did not hear the ack): recorded once, acknowledged again.
      this.recordInbox(msg, 'duplicate', '');
      this.send(agent, { verb: 'ack', to: agent.handle, tag: m.tag, outcome: attempt.outcome });
      return;
    }
    // A lease that has run out by now ends before the result is looked at: never accepted late.
    ledger.expireLeases();
    const intake =
      this.attemptRow(m.tag)?.outcome === 'running'
        ? await takeInResult(m, msg.attachments ?? [], {
            root: this.resultsRoot(),
            maxBundleBytes: this.settings.maxResultBytes,
            download: this.options.download,
          })
        : ({ ok: true, outcome: m.outcome, text: m.text ?? '', artifacts: [] } as const);
    if (!intake.ok && intake.why === 'retry') {
      log.warn('remote: could not fetch a result file; the agent will send it again', {
        agent: agent.id,
        tag: formatTag(m.tag),
        reason: intake.detail,
      });
      return;
    }
    ledger.transaction(() => {
      if (!this.recordFresh(msg)) return;
      const ref = { ...m.tag, agentId: agent.id };
      if (!intake.ok) {
        this.setOutcome(msg, 'refused', msg.text);
        log.warn('remote: result refused', { agent: agent.id, tag: formatTag(m.tag), why: intake.why });
        // A result that cannot be stored ends the attempt as failed, saying why.
        const res = ledger.fail(ref, `remote result refused: ${intake.detail}`);
        this.untrack(m.tag);
        this.send(agent, {
          verb: 'refused',
          to: agent.handle,
          tag: m.tag,
          why: intake.why,
          detail: intake.detail,
        });
        if (!res.ok) log.info('remote: the attempt was already over', { tag: formatTag(m.tag) });
        return;
      }
      if (this.attemptRow(m.tag)?.outcome !== 'running' && this.staleResultRefusedBefore(m.tag)) {
        // Refused once already (the agent sent it again): no second event.
        this.setOutcome(msg, 'refused', '');
        this.send(agent, {
          verb: 'refused',
          to: agent.handle,
          tag: m.tag,
          why: 'stale',
          detail: 'attempt is over',
        });
        return;
      }
      const res =
        intake.outcome === 'ok'
          ? ledger.complete(ref, intake.text, [...intake.artifacts])
          : ledger.fail(ref, intake.text || 'remote worker failed');
      this.setOutcome(msg, res.ok ? 'applied' : 'refused', msg.text.slice(0, 2_000));
      this.untrack(m.tag);
      if (!res.ok) {
        log.warn('remote: late result refused (the attempt is over)', {
          agent: agent.id,
          tag: formatTag(m.tag),
        });
        this.send(agent, {
          verb: 'refused',
          to: agent.handle,
          tag: m.tag,
          why: 'stale',
          detail: `attempt ${m.tag.attempt} is over (the task is ${res.status}, attempt ${res.currentAttempt})`,
        });
        return;
      }
      const task = ledger.getTask(m.tag.taskId);
      const outcome = intake.outcome === 'fail' ? 'failed' : task?.status === 'review' ? 'review' : 'done';
      this.send(agent, { verb: 'ack', to: agent.handle, tag: m.tag, outcome });
    });
  }

  /**
   * Checks the attempt is this agent's before a fenced write: an attempt that never was its own (or
   * a task that does not exist) is bad input and changes nothing; one that was and is over is stale
   * and goes to the fenced write, which records the refusal.
   */
  private checkOwner(agent: RemoteAgentEntry, tag: Tag, msg: IncomingMessage): boolean {
    const attempt = this.attemptRow(tag);
    if (attempt && attempt.agent_id === agent.id) return true;
    this.setOutcome(msg, 'refused', msg.text.slice(0, 300));
    this.options.log.warn("remote: message names an attempt that is not this agent's; refused", {
      agent: agent.id,
      tag: formatTag(tag),
    });
    this.send(agent, {
      verb: 'refused',
      to: agent.handle,
      tag,
      why: attempt ? 'not_yours' : 'unknown_attempt',
      detail: attempt ? `${formatTag(tag)} belongs to another agent` : `there is no ${formatTag(tag)}`,
    });
    return false;
  }

  private refuseStale(agent: RemoteAgentEntry, tag: Tag): void {
    this.untrack(tag);
    this.send(agent, { verb: 'refused', to: agent.handle, tag, why: 'stale', detail: 'the attempt is over' });
  }

  // Periodic work -------------------------------------------------------------------------------

  /** Offers open attempts, relays answers, stops attempts that ended. Never throws. */
  tick(): void {
    try {
      this.relayAnswersAndStops();
      this.makeOffers();
    } catch (err) {
      this.options.log.error('remote: periodic work failed; retrying', { error: describeError(err) });
    }
  }

  private relayAnswersAndStops(): void {
    for (const t of [...this.tracked.values()]) {
      const agent = this.byId.get(t.agentId);
      if (!agent) continue;
      const row = this.ledger.core.taskRow(t.tag.taskId);
      const current =
        row !== undefined &&
        (row.status === 'claimed' || row.status === 'blocked') &&
        row.attempt === t.tag.attempt &&
        row.owner === t.agentId;
      if (!current) {
        const ended = this.attemptRow(t.tag);
        if (ended && (ended.outcome === 'done' || ended.outcome === 'review' || ended.outcome === 'failed')) {
          this.untrack(t.tag); // finished through a result: the ack said so
        } else {
          this.stopAttempt(agent, t.tag);
        }
        continue;
      }
      if (row.status === 'claimed' && row.answer !== null) {
        this.ledger.transaction(() => {
          const res = this.ledger.takeAnswer({ ...t.tag, agentId: t.agentId });
          if (res.ok && 'answer' in res && res.answer !== null)
            this.send(agent, { verb: 'reply', to: agent.handle, tag: t.tag, answer: res.answer });
        });
      }
    }
  }

  private makeOffers(): void {
    const { ledger } = this;
    if (ledger.isSwarmPaused()) return;
    const now = this.now();
    for (const [key, offer] of this.offers)
      if (now - offer.at > this.settings.offerTimeoutMs) this.offers.delete(key);
    const present = [...this.presence.entries()].filter(
      ([id, p]) =>
        now - p.lastHeardAt <= this.settings.presenceTtlMs && ledger.getAgent(id)?.status === 'active',
    );
    if (present.length === 0) return;
    const outstanding = new Map<string, number>();
    for (const offer of this.offers.values())
      for (const id of offer.agents) outstanding.set(id, (outstanding.get(id) ?? 0) + 1);
    const rows = ledger.core
      .sql(
        `SELECT id, attempt, skills, assignee, title FROM tasks WHERE status = 'queued' AND deps_pending = 0
         AND not_before <= ? ORDER BY priority DESC, seq LIMIT 50`,
      )
      .all(now) as Array<{
      id: string;
      attempt: number;
      skills: string;
      assignee: string | null;
      title: string;
    }>;
    for (const row of rows) {
      const tag = { taskId: row.id, attempt: row.attempt + 1 };
      const key = formatTag(tag);
      if (this.offers.has(key)) continue;
      const skills = JSON.parse(row.skills) as string[];
      const candidates = present
        .filter(([id, p]) => {
          if (row.assignee !== null && row.assignee !== id) return false;
          if (p.free - (outstanding.get(id) ?? 0) <= 0) return false;
          return skills.every((s) => p.skills.includes(s));
        })
        .sort(([, a], [, b]) => b.free - a.free)
        .slice(0, this.settings.offerFanout);
      if (candidates.length === 0) continue;
      const agents = new Set<string>();
      for (const [id] of candidates) {
        const agent = this.byId.get(id)!;
        agents.add(id);
        outstanding.set(id, (outstanding.get(id) ?? 0) + 1);
        this.send(agent, { verb: 'offer', to: agent.handle, tag, agent: id, title: row.title.slice(0, 120) });
      }
      this.offers.set(key, { at: now, agents });
    }
  }

  // Sending ----------------------------------------------------------------------------------------

  /** Tells the agent to stop an attempt that is no longer its own, once. */
  private stopAttempt(agent: RemoteAgentEntry, tag: Tag): void {
    const key = formatTag(tag);
    const t = this.tracked.get(key);
    if (t?.stopped) return;
    this.tracked.set(key, { tag, agentId: agent.id, stopped: true });
    const ended = this.attemptRow(tag);
    const row = this.ledger.core.taskRow(tag.taskId);
    let why = 'moved_on';
    let detail = `the task is ${row?.status ?? 'gone'}, attempt ${row?.attempt ?? '?'}`;
    if (row?.status === 'cancelled') {
      why = 'cancelled';
      detail = 'the task was cancelled';
    } else if (ended?.outcome === 'expired') {
      why = 'expired';
      detail = ended.error ?? 'the lease ran out';
      // It went silent: no more offers until it is heard from again.
      this.presence.delete(agent.id);
    } else if (ended?.error?.startsWith('reassigned')) {
      why = 'reassigned';
      detail = ended.error;
    }
    this.send(agent, { verb: 'stop', to: agent.handle, tag, why, detail });
  }

  private sendGrant(agent: RemoteAgentEntry, tag: Tag): void {
    const row = this.ledger.core.taskRow(tag.taskId)!;
    const task = this.ledger.getTask(tag.taskId)!;
    const granted = {
      title: task.title,
      body: task.body,
      skills: task.skills,
      notes: task.notes,
      timeoutMs: task.timeoutMs,
      maxAttempts: task.maxAttempts,
      try: Math.max(1, row.attempt - row.attempts_base),
      review: task.review,
    };
    const base = {
      verb: 'grant',
      to: agent.handle,
      tag,
      agent: agent.id,
      leaseMs: this.leaseOf(agent),
    } as const;
    const inline = encodeProtocol({ ...base, task: granted });
    if (inline.length <= this.inlineBudget()) {
      this.queue(inline, PROTOCOL_PRIORITY.answer);
      return;
    }
    // Too long for one message: the task goes as a file beside a short grant.
    const name = `${tag.taskId}-${tag.attempt}.task.json`;
    const dir = join(this.options.workDir, 'remote', 'outgoing');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(granted), { mode: 0o600 });
    this.queue(encodeProtocol({ ...base, bundle: name }), PROTOCOL_PRIORITY.answer, path);
  }

  private send(agent: RemoteAgentEntry, message: ProtocolMessage): void {
    void agent;
    let text = encodeProtocol(message);
    if (text.length > this.inlineBudget() && message.verb === 'reply') {
      const room = this.inlineBudget() - (text.length - message.answer.length) - 40;
      text = encodeProtocol({ ...message, answer: `${message.answer.slice(0, Math.max(0, room))} …(cut)` });
    }
    this.queue(text, ANSWER_VERBS.has(message.verb) ? PROTOCOL_PRIORITY.answer : PROTOCOL_PRIORITY.offer);
  }

  private queue(text: string, priority: number, attachmentPath?: string): void {
    this.ledger.core.addOutbox(
      this.options.channel,
      'reply',
      priority,
      attachmentPath ? { text, attachmentPath } : { text },
      { taskId: null },
    );
    this.options.kick?.();
  }

  /** Room for one protocol message: half the channel's limit, since escaping can double the text. */
  private inlineBudget(): number {
    return Math.floor(this.options.maxTextChars / 2);
  }

  // Small helpers --------------------------------------------------------------------------------

  private leaseOf(agent: RemoteAgentEntry): number {
    return agent.leaseMs ?? this.ledger.options.leaseMs;
  }

  private resultsRoot(): string {
    return join(this.options.workDir, 'remote', 'results');
  }

  /** Where a stored artifact of an attempt lives (for tests and `status`). */
  attemptFilesDir(tag: Tag): string {
    return remoteAttemptDir(this.resultsRoot(), tag.taskId, tag.attempt);
  }

  private track(tag: Tag, agentId: string): void {
    const key = formatTag(tag);
    if (!this.tracked.has(key)) this.tracked.set(key, { tag, agentId, stopped: false });
  }

  private untrack(tag: Tag): void {
    this.tracked.delete(formatTag(tag));
  }

  private attemptRow(tag: Tag): { agent_id: string; outcome: string; error: string | null } | undefined {
    return this.ledger.core
      .sql('SELECT agent_id, outcome, error FROM attempts WHERE task_id = ? AND attempt = ?')
      .get(tag.taskId, tag.attempt) as
      { agent_id: string; outcome: string; error: string | null } | undefined;
  }

  private staleResultRefusedBefore(tag: Tag): boolean {
    return this.ledger
      .events({ taskId: tag.taskId })
      .some(
        (e) =>
          e.type === 'stale_write_refused' &&
          (e.data.op === 'result' || e.data.op === 'failure') &&
          e.data.attempt === tag.attempt,
      );
  }

  private inboxKey(msg: IncomingMessage): { platform: string; chatId: string; messageId: string } {
    return { platform: msg.platform, chatId: msg.channelId, messageId: msg.messageId };
  }

  /** Records the message once; false when it was seen before. */
  private recordFresh(msg: IncomingMessage): boolean {
    return this.ledger.inbox.record({
      ...this.inboxKey(msg),
      channel: this.options.channel,
      authorId: msg.author.id,
    });
  }

  private setOutcome(msg: IncomingMessage, outcome: Outcome, text: string): void {
    this.ledger.inbox.setOutcome(this.inboxKey(msg), outcome, this.ledger.mask(text));
  }

  /** Records a message with its outcome in one go; false when it was a repeat. */
  private recordInbox(msg: IncomingMessage, outcome: Outcome, text: string): boolean {
    try {
      return this.ledger.transaction(() => {
        if (!this.recordFresh(msg)) return false;
        this.setOutcome(msg, outcome, text);
        return true;
      });
    } catch (err) {
      if (err instanceof LedgerError) return false;
      throw err;
    }
  }

  /** Presence of the remote agents: when each was last heard from, and how many slots it has free. */
  presenceOf(agentId: string): { lastHeardAt: number; free: number; capacity: number } | undefined {
    const p = this.presence.get(agentId);
    return p && { lastHeardAt: p.lastHeardAt, free: p.free, capacity: p.capacity };
  }
}
