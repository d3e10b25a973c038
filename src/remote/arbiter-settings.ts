import type { IncomingAttachment } from '../chat/chat-port.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { RemoteAgentEntry } from './remote-registry.ts';

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

/** Defaults of {@link ArbiterSettings}. */
export const ARBITER_DEFAULTS = {
  offerFanout: 1,
  offerTimeoutMs: 20_000,
  presenceTtlMs: 120_000,
  messagesPerMinute: 30,
  maxResultBytes: 8 * 1024 * 1024,
  tickMs: 500,
} as const satisfies ArbiterSettings;

/** What the arbiter is built with: the ledger, the configured remote agents, and where their files go. */
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
