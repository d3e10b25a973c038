import type { Worker } from '../agents/worker.ts';
import type { ChatPort } from '../chat/chat-port.ts';
import type { Logger } from '../core/logger.ts';
import type { MessageBudget } from './message-budget.ts';
import type { Tag } from './protocol-types.ts';
import type { RemoteStore } from './remote-store.ts';

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

/** Defaults of {@link RemoteAgentSettings}. */
export const REMOTE_AGENT_DEFAULTS = {
  messagesPerMinute: 20,
  claimTimeoutMs: 20_000,
  resultResendMs: 30_000,
  idleHelloMs: 60_000,
  maxArtifactBytes: 6 * 1024 * 1024,
  loopMs: 250,
} as const satisfies RemoteAgentSettings;

/** What a remote agent is built with: its bot's port, its worker, its folders and store, and its orchestrator. */
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

/** An attempt the agent's worker is running, with what its heartbeat reports. */
export interface Running {
  tag: Tag;
  controller: AbortController;
  leaseMs: number;
  pct: number | null;
  text: string;
  answer?: { resolve: (answer: string) => void; reject: (err: Error) => void };
}

/** The state a remote agent's parts (sending, heartbeat, result delivery) share. */
export interface AgentState {
  readonly o: RemoteAgentOptions;
  readonly settings: RemoteAgentSettings;
  readonly running: Map<string, Running>;
  readonly claims: Map<string, number>;
  /** Messages this agent's bot may still send this minute (edits included). */
  readonly budget: MessageBudget;
  /** Still running (false once `stop` began). */
  readonly started: boolean;
  /** The platform is reachable as far as the agent knows. */
  readonly connected: boolean;
}
