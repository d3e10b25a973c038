import { join } from 'node:path';
import type { IncomingMessage } from '../chat/chat-port.ts';
import { ChatError, describeError } from '../core/errors.ts';
import { AgentHeartbeat } from './agent-heartbeat.ts';
import { AgentInbox } from './agent-inbox.ts';
import { applyReply } from './agent-replies.ts';
import { attemptHooks } from './attempt-hooks.ts';
import { MessageBudget } from './message-budget.ts';
import { sendProtocol } from './protocol-sender.ts';
import {
  formatTag,
  grantedTaskSchema,
  type GrantedTask,
  type ProtocolOf,
  type Tag,
} from './protocol-types.ts';
import {
  REMOTE_AGENT_DEFAULTS,
  type AgentState,
  type RemoteAgentOptions,
  type Running,
} from './remote-agent-settings.ts';
import { runRemoteAttempt } from './remote-attempt.ts';
import { ResultDelivery } from './result-delivery.ts';

export {
  REMOTE_AGENT_DEFAULTS,
  type RemoteAgentOptions,
  type RemoteAgentSettings,
} from './remote-agent-settings.ts';

/**
 * An agent on another host: no ledger, only its own bot in the channel. It says hello (and edits
 * that message as its heartbeat), claims what it is offered, runs its worker only for a grant that
 * names its attempt, relays questions, and keeps every result in a small local store until the
 * orchestrator acknowledges or refuses it, across restarts and outages.
 */
export class RemoteAgent {
  private readonly state: { -readonly [K in keyof AgentState]: AgentState[K] };
  private readonly heartbeat: AgentHeartbeat;
  private readonly delivery: ResultDelivery;
  private readonly inbox: AgentInbox;
  private timer: NodeJS.Timeout | undefined;
  private connecting: NodeJS.Timeout | undefined;
  private readonly work = new Set<Promise<void>>();

  constructor(private readonly o: RemoteAgentOptions) {
    const settings = { ...REMOTE_AGENT_DEFAULTS, ...o.settings };
    this.state = {
      o,
      settings,
      running: new Map<string, Running>(),
      claims: new Map<string, number>(),
      budget: new MessageBudget(settings.messagesPerMinute, 60_000, Date.now),
      started: false,
      connected: false,
    };
    this.heartbeat = new AgentHeartbeat(this.state, () => this.free());
    this.delivery = new ResultDelivery(this.state);
    this.inbox = new AgentInbox({
      orchestratorBotUserId: o.orchestrator.botUserId,
      handle: o.handle,
      log: o.log,
    });
  }

  /** Attempts running now. */
  get busy(): number {
    return this.state.running.size;
  }

  /** Results kept until the orchestrator answers. */
  get undelivered(): number {
    return this.o.store.pending().length;
  }

  /** Connects (retrying in the background while the platform is unreachable) and says hello. */
  async start(): Promise<void> {
    if (this.state.started) return;
    this.state.started = true;
    this.timer = setInterval(() => void this.loop(), this.state.settings.loopMs);
    await this.connect(0);
  }

  private async connect(failures: number): Promise<void> {
    try {
      await this.o.port.start((msg) => this.onMessage(msg));
      this.state.connected = true;
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
        if (this.state.started) void this.connect(failures + 1).catch(() => undefined);
      }, waitMs);
    }
  }

  /** Stops the workers (their attempts are given back), then disconnects. Results stay in the store. */
  async stop(): Promise<void> {
    if (!this.state.started) return;
    this.state.started = false;
    if (this.timer) clearInterval(this.timer);
    if (this.connecting) clearTimeout(this.connecting);
    const releases: Promise<unknown>[] = [];
    for (const r of this.state.running.values()) {
      r.controller.abort('agent stopping');
      releases.push(
        sendProtocol(
          this.state,
          { verb: 'release', to: this.o.orchestrator.handle, tag: r.tag, reason: 'agent stopped' },
          true,
        ),
      );
    }
    await Promise.race([Promise.allSettled(releases), new Promise((r) => setTimeout(r, 3_000))]);
    await Promise.allSettled([...this.work]);
    if (this.state.connected) await this.o.port.stop();
    this.state.connected = false;
  }

  private async onMessage(msg: IncomingMessage): Promise<void> {
    // Only the orchestrator's bot speaks the protocol to us; people and other bots are never answered.
    const m = this.inbox.screen(msg);
    if (!m) return;
    try {
      switch (m.verb) {
        case 'offer':
          return await this.onOffer(m);
        case 'grant':
          return await this.onGrant(m, msg);
        default:
          return applyReply(this.state, m, (text, fields) => this.inbox.complain(text, fields));
      }
    } catch (err) {
      this.o.log.error('remote agent: could not act on a message', {
        verb: m.verb,
        error: describeError(err),
      });
    }
  }

  private free(): number {
    return this.o.capacity - this.state.running.size - this.state.claims.size;
  }

  private async onOffer(m: ProtocolOf<'offer'>): Promise<void> {
    const key = formatTag(m.tag);
    if (m.agent !== this.o.id) {
      this.inbox.complain('remote agent: an offer naming another agent; ignored', {
        tag: key,
        agent: m.agent,
      });
      return;
    }
    if (
      this.free() <= 0 ||
      this.state.claims.has(key) ||
      this.state.running.has(key) ||
      this.o.store.isFinished(key)
    )
      return;
    this.state.claims.set(key, Date.now());
    const sent = await sendProtocol(
      this.state,
      { verb: 'claim', to: this.o.orchestrator.handle, tag: m.tag, agent: this.o.id },
      false,
    );
    if (!sent) this.state.claims.delete(key);
  }

  /**
   * Starts the worker only for a grant naming this agent and an attempt it claimed and does not hold
   * yet. A grant naming another agent, or an attempt already running or finished (a replay), is
   * ignored; one for an attempt not claimed (the claim timed out, or the agent restarted) is the
   * agent's in the ledger, so it is given straight back, once.
   */
  private async onGrant(m: ProtocolOf<'grant'>, msg: IncomingMessage): Promise<void> {
    const key = formatTag(m.tag);
    const ignore = (why: string): void =>
      this.inbox.complain(`remote agent: a grant ${why}; ignored`, { tag: key, agent: m.agent });
    if (m.agent !== this.o.id) return ignore('naming another agent');
    if (this.state.running.has(key)) return ignore('for an attempt already running');
    if (this.o.store.isFinished(key)) return ignore('for an attempt already finished');
    const claimed = this.state.claims.delete(key);
    if (!claimed || this.free() < 0) {
      this.inbox.complain('remote agent: a grant for an attempt not claimed now; giving it back', {
        tag: key,
      });
      this.o.store.markFinished(key);
      await sendProtocol(
        this.state,
        { verb: 'release', to: this.o.orchestrator.handle, tag: m.tag, reason: 'not wanted any more' },
        true,
      );
      return;
    }
    let task = m.task;
    if (!task) task = await this.fetchTask(m, msg);
    if (!task) {
      await sendProtocol(
        this.state,
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

  private startAttempt(tag: Tag, task: GrantedTask, leaseMs: number): void {
    const key = formatTag(tag);
    const r: Running = { tag, controller: new AbortController(), leaseMs, pct: null, text: '' };
    this.state.running.set(key, r);
    this.o.log.info('remote agent: attempt granted; worker starting', { tag: key });
    const job = runRemoteAttempt({
      agentId: this.o.id,
      tag,
      task,
      worker: this.o.worker,
      workRoot: this.o.workRoot,
      artifactRoot: this.o.artifactRoot ?? join(this.o.workRoot, '.artifacts'),
      maxArtifactBytes: this.state.settings.maxArtifactBytes,
      secrets: this.o.secrets ?? [],
      signal: r.controller.signal,
      log: this.o.log,
      hooks: attemptHooks(this.state, r),
    })
      .then((outcome) => {
        this.state.running.delete(key);
        if (outcome) this.delivery.finish(tag, outcome);
        else this.o.log.info('remote agent: attempt stopped', { tag: key });
        void this.heartbeat.send();
      })
      .catch((err: unknown) =>
        this.o.log.error('remote agent: attempt failed to run', { tag: key, error: describeError(err) }),
      )
      .finally(() => this.work.delete(job));
    this.work.add(job);
    void this.heartbeat.send();
  }

  private async loop(): Promise<void> {
    if (!this.state.connected) return;
    const now = Date.now();
    for (const [key, at] of this.state.claims)
      if (now - at > this.state.settings.claimTimeoutMs) this.state.claims.delete(key);
    if (this.heartbeat.due(now)) await this.heartbeat.send();
    await this.delivery.deliverPending();
  }
}
