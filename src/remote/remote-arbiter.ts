import type { IncomingMessage } from '../chat/chat-port.ts';
import { describeError } from '../core/errors.ts';
import { onAsk, onClaim, onHello, onRelease } from './agent-message-handlers.ts';
import { relayAnswersAndStops } from './answer-relay.ts';
import { ArbiterContext } from './arbiter-context.ts';
import { send } from './arbiter-sending.ts';
import type { ArbiterOptions } from './arbiter-settings.ts';
import { makeOffers } from './offer-maker.ts';
import { decodeProtocol, isAddressedTo, isAgentVerb } from './protocol-codec.ts';
import type { Tag } from './protocol-types.ts';
import { recordRemoteAgents, type RemoteAgentEntry } from './remote-registry.ts';
import { onResult } from './result-handler.ts';
import { remoteAttemptDir } from './result-intake.ts';

export {
  ARBITER_DEFAULTS,
  PROTOCOL_PRIORITY,
  type ArbiterOptions,
  type ArbiterSettings,
} from './arbiter-settings.ts';

/**
 * The orchestrator's side of the remote-agent protocol. Reads protocol messages from configured
 * agents' bots (and refuses them from anyone else), applies claims, heartbeats, questions and
 * results to the ledger through its fenced operations, and sends offers, grants, answers, stops and
 * acknowledgements through the outbox, so they are paced with the mirror and survive a restart.
 */
export class RemoteArbiter {
  private readonly ctx: ArbiterContext;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: ArbiterOptions) {
    this.ctx = new ArbiterContext(options);
  }

  /** Bot user ids whose messages the adapter must deliver. */
  get botUserIds(): string[] {
    return [...this.ctx.byUserId.keys()];
  }

  /**
   * Picks up the attempts remote agents hold and gives each one more lease: while the orchestrator
   * was down nobody could hear their heartbeats, which is not the agents' fault.
   */
  start(): void {
    recordRemoteAgents(this.ctx.ledger, this.ctx.options.platform, this.ctx.options.agents);
    for (const agent of this.ctx.options.agents) {
      for (const task of this.ctx.ledger.heldBy(agent.id)) {
        const ref = { taskId: task.id, attempt: task.attempt, agentId: agent.id };
        this.ctx.track({ taskId: task.id, attempt: task.attempt }, agent.id);
        this.ctx.ledger.heartbeat(ref, this.ctx.leaseOf(agent));
      }
    }
    this.timer = setInterval(() => this.tick(), this.ctx.settings.tickMs);
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
    const agent = msg.author.isBot ? this.ctx.byUserId.get(msg.author.id) : undefined;
    try {
      if (!agent) return this.refuseStranger(msg);
      await this.fromAgent(agent, msg);
    } catch (err) {
      this.ctx.options.log.error('remote: could not handle a protocol message', {
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
    this.ctx.options.log.warn(
      'remote: protocol message from someone who is not a configured remote agent; refused',
      {
        author: `${msg.author.name} [${msg.author.id}]`,
        isBot: msg.author.isBot,
        messageId: msg.messageId,
      },
    );
    if (!msg.edited) this.ctx.recordInbox(msg, 'refused', msg.text.slice(0, 300));
    return true;
  }

  private async fromAgent(agent: RemoteAgentEntry, msg: IncomingMessage): Promise<void> {
    const { log } = this.ctx.options;
    if (!this.ctx.budget.take(agent.id)) {
      const last = this.ctx.overBudgetLogged.get(agent.id) ?? 0;
      if (this.ctx.now() - last > 60_000) {
        this.ctx.overBudgetLogged.set(agent.id, this.ctx.now());
        log.warn('remote: agent is over its message budget; its messages are ignored for now', {
          agent: agent.id,
          perMinute: this.ctx.settings.messagesPerMinute,
        });
      }
      if (!msg.edited) this.ctx.recordInbox(msg, 'refused', '');
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
      if (!msg.edited && this.ctx.recordInbox(msg, 'invalid', msg.text.slice(0, 300)))
        send(this.ctx, agent, {
          verb: 'refused',
          to: agent.handle,
          why: 'bad_message',
          detail: decoded.detail,
        });
      return;
    }
    const m = decoded.message;
    const me = this.ctx.options.handle ?? msg.botUsername;
    if (me === undefined || !isAddressedTo(m, me)) return; // for another bot: never answered
    if (!isAgentVerb(m.verb)) {
      log.warn('remote: agent sent an orchestrator verb; refused', { agent: agent.id, verb: m.verb });
      return;
    }
    this.ctx.ledger.agentHeartbeat(agent.id);
    if (m.verb === 'hello') return onHello(this.ctx, agent, m, msg);
    if (msg.edited) return; // only the status message is edited; other edits change nothing
    switch (m.verb) {
      case 'claim':
        return onClaim(this.ctx, agent, m, msg);
      case 'ask':
        return onAsk(this.ctx, agent, m, msg);
      case 'result':
        return onResult(this.ctx, agent, m, msg);
      case 'release':
        return onRelease(this.ctx, agent, m, msg);
    }
  }

  /** Offers open attempts, relays answers, stops attempts that ended. Never throws. */
  tick(): void {
    try {
      relayAnswersAndStops(this.ctx);
      makeOffers(this.ctx);
    } catch (err) {
      this.ctx.options.log.error('remote: periodic work failed; retrying', { error: describeError(err) });
    }
  }

  /** Where a stored artifact of an attempt lives (for tests and `status`). */
  attemptFilesDir(tag: Tag): string {
    return remoteAttemptDir(this.ctx.resultsRoot(), tag.taskId, tag.attempt);
  }

  /** Presence of the remote agents: when each was last heard from, and how many slots it has free. */
  presenceOf(agentId: string): { lastHeardAt: number; free: number; capacity: number } | undefined {
    const p = this.ctx.presence.get(agentId);
    return p && { lastHeardAt: p.lastHeardAt, free: p.free, capacity: p.capacity };
  }
}
