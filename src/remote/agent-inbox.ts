import type { IncomingMessage } from '../chat/chat-port.ts';
import type { Logger } from '../core/logger.ts';
import { MessageBudget } from './message-budget.ts';
import { decodeProtocol, isAddressedTo, isOrchestratorVerb, protocolAddressee } from './protocol-codec.ts';
import type { OrchestratorVerb, ProtocolMessage } from './protocol-types.ts';

/** A protocol message only the orchestrator sends. */
export type OrchestratorMessage = Extract<ProtocolMessage, { verb: OrchestratorVerb }>;

/** Defaults of the inbox's memory and log limits. */
export const AGENT_INBOX_DEFAULTS = {
  /** Message ids remembered, so a message delivered twice (a reconnect, a replay) is acted on once. */
  recentIds: 2_000,
  /** Lines logged a minute about refused messages; the rest are counted and summed up later. */
  logsPerMinute: 30,
} as const;

export interface AgentInboxOptions {
  /** The orchestrator's bot: the only author whose protocol messages are read. */
  orchestratorBotUserId: string;
  /** This agent's handle (on Telegram the adapter's `botUsername` wins: that is how it is addressed). */
  handle: string;
  log: Logger;
  now?: () => number;
}

/**
 * The remote agent's gate: lets through only protocol messages from the orchestrator's bot,
 * addressed to this agent, with a verb only the orchestrator sends, each message once. A person or
 * another bot writing a protocol message to this agent (someone imitating the orchestrator), and an
 * unreadable or oversized message from the orchestrator, are logged and dropped; nothing is answered.
 * Logging is capped per minute, so a flood cannot fill the disk.
 */
export class AgentInbox {
  private readonly seen = new Set<string>();
  private readonly logBudget: MessageBudget;
  private suppressed = 0;

  constructor(private readonly o: AgentInboxOptions) {
    this.logBudget = new MessageBudget(AGENT_INBOX_DEFAULTS.logsPerMinute, 60_000, o.now ?? Date.now);
  }

  /** The message to act on, or undefined when it is to be ignored. Never throws. */
  screen(msg: IncomingMessage): OrchestratorMessage | undefined {
    const me = msg.botUsername ?? this.o.handle;
    if (msg.author.id !== this.o.orchestratorBotUserId) {
      const to = protocolAddressee(msg.text);
      if (to !== undefined && to.toLowerCase() === me.toLowerCase())
        this.complain('remote agent: ignored a protocol message from someone who is not the orchestrator', {
          author: msg.author.id,
          bot: msg.author.isBot,
          messageId: msg.messageId,
          edited: msg.edited === true,
          verb: /^\s*\/([a-z]+)/.exec(msg.text)?.[1],
        });
      return undefined;
    }
    // The orchestrator never edits a protocol message: an edit is its mirror's, not for us.
    if (msg.edited) return undefined;
    if (this.seen.has(msg.messageId)) {
      this.o.log.debug('remote agent: message delivered again; ignored', { messageId: msg.messageId });
      return undefined;
    }
    this.remember(msg.messageId);
    const decoded = decodeProtocol(msg.text);
    if (!decoded.ok) {
      const to = protocolAddressee(msg.text);
      if (decoded.reason !== 'not_protocol' && (to === undefined || to.toLowerCase() === me.toLowerCase()))
        this.complain('remote agent: unreadable message from the orchestrator; ignored', {
          reason: decoded.reason,
          detail: decoded.detail,
          messageId: msg.messageId,
        });
      return undefined;
    }
    const m = decoded.message;
    if (!isAddressedTo(m, me)) return undefined;
    if (!isOrchestratorVerb(m.verb)) {
      this.complain("remote agent: the orchestrator's bot sent an agent's message; ignored", {
        verb: m.verb,
        messageId: msg.messageId,
      });
      return undefined;
    }
    return m as OrchestratorMessage;
  }

  /** Logs a refusal within the per-minute cap; what the cap held back is counted in the next line. */
  complain(text: string, fields: Record<string, unknown>): void {
    if (!this.logBudget.take('log')) {
      this.suppressed += 1;
      return;
    }
    const held = this.suppressed;
    this.suppressed = 0;
    this.o.log.warn(text, held > 0 ? { ...fields, notLoggedBefore: held } : fields);
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > AGENT_INBOX_DEFAULTS.recentIds) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
