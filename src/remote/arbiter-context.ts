import { join } from 'node:path';
import type { IncomingMessage } from '../chat/chat-port.ts';
import { LedgerError } from '../core/errors.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { ARBITER_DEFAULTS, type ArbiterOptions, type ArbiterSettings } from './arbiter-settings.ts';
import { MessageBudget } from './message-budget.ts';
import { formatTag, type Tag } from './protocol-types.ts';
import type { RemoteAgentEntry } from './remote-registry.ts';

/** What the arbiter knows of a remote agent from its last hello. */
export interface Presence {
  lastHeardAt: number;
  capacity: number;
  free: number;
  skills: string[];
  statusMessageId: string;
}

/** An attempt a remote agent holds, followed until it ends (`stopped`: the stop was sent). */
export interface Tracked {
  tag: Tag;
  agentId: string;
  stopped: boolean;
}

/** How an inbox message ended. */
export type Outcome = 'applied' | 'refused' | 'invalid' | 'duplicate' | 'ignored';

/** An attempt's row as the arbiter reads it. */
export interface AttemptRow {
  agent_id: string;
  outcome: string;
  error: string | null;
}

/**
 * The arbiter's state, shared by its parts (claims, results, offers, sending): the agents by bot
 * and by id, their presence, open offers, attempts it follows, the message budget, and the small
 * ledger and inbox helpers they all use.
 */
export class ArbiterContext {
  readonly settings: ArbiterSettings;
  readonly byUserId = new Map<string, RemoteAgentEntry>();
  readonly byId = new Map<string, RemoteAgentEntry>();
  readonly presence = new Map<string, Presence>();
  /** Open offers: when made, to whom, and the outbox rows that carry them. */
  readonly offers = new Map<string, { at: number; agents: Set<string>; outboxIds: number[] }>();
  /** Agents that let an offer of an attempt time out, by attempt: offered it last next time. */
  readonly passed = new Map<string, Set<string>>();
  readonly tracked = new Map<string, Tracked>();
  readonly budget: MessageBudget;
  readonly overBudgetLogged = new Map<string, number>();

  constructor(readonly options: ArbiterOptions) {
    this.settings = { ...ARBITER_DEFAULTS, ...options.settings };
    for (const a of options.agents) {
      this.byUserId.set(a.botUserId, a);
      this.byId.set(a.id, a);
    }
    this.budget = new MessageBudget(this.settings.messagesPerMinute, 60_000, () => this.now());
  }

  get ledger(): Ledger {
    return this.options.ledger;
  }

  now(): number {
    return this.ledger.core.now();
  }

  /** The lease an agent's attempts get: its own, or the ledger's. */
  leaseOf(agent: RemoteAgentEntry): number {
    return agent.leaseMs ?? this.ledger.options.leaseMs;
  }

  resultsRoot(): string {
    return join(this.options.workDir, 'remote', 'results');
  }

  /** Follows an attempt an agent holds (to relay answers and stop it once it is no longer its own). */
  track(tag: Tag, agentId: string): void {
    const key = formatTag(tag);
    if (!this.tracked.has(key)) this.tracked.set(key, { tag, agentId, stopped: false });
  }

  untrack(tag: Tag): void {
    this.tracked.delete(formatTag(tag));
  }

  /** The attempt's row (whose it is, how it ended), or undefined when there is no such attempt. */
  attemptRow(tag: Tag): AttemptRow | undefined {
    return this.ledger.core
      .sql('SELECT agent_id, outcome, error FROM attempts WHERE task_id = ? AND attempt = ?')
      .get(tag.taskId, tag.attempt) as AttemptRow | undefined;
  }

  inboxKey(msg: IncomingMessage): { platform: string; chatId: string; messageId: string } {
    return { platform: msg.platform, chatId: msg.channelId, messageId: msg.messageId };
  }

  /** Records the message once; false when it was seen before. */
  recordFresh(msg: IncomingMessage): boolean {
    return this.ledger.inbox.record({
      ...this.inboxKey(msg),
      channel: this.options.channel,
      authorId: msg.author.id,
    });
  }

  setOutcome(msg: IncomingMessage, outcome: Outcome, text: string): void {
    this.ledger.inbox.setOutcome(this.inboxKey(msg), outcome, this.ledger.mask(text));
  }

  /** Records a message with its outcome in one go; false when it was a repeat. */
  recordInbox(msg: IncomingMessage, outcome: Outcome, text: string): boolean {
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
}
