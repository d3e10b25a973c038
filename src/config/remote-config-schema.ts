import { z } from 'zod';
import { agentId, botUserId, handle, ms } from './config-fields.ts';

/** An agent on another host, as the orchestrator knows it (see docs/remote-agents.md). */
export const remoteAgentSchema = z
  .object({
    id: agentId,
    /** The agent's bot: only its messages are read as this agent's. */
    botUserId,
    /** What the orchestrator addresses it as; on Telegram its bot's username. Default: the id with _ for -. */
    handle: handle.optional(),
    /** Lease of its attempts; remote heartbeats are edits, so give them room (default: ledger.leaseMs). */
    leaseMs: ms(3_000).optional(),
  })
  .strict();

/** Remote agents: the orchestrator's list and tunables, or (on an agent's host) its orchestrator. */
export const remoteSchema = z
  .object({
    /** The orchestrator's handle on Discord (default `swarm`); on Telegram its bot's username is used. */
    handle: handle.optional(),
    agents: z.array(remoteAgentSchema).default([]),
    offerFanout: z.number().int().min(1).max(10).optional(),
    offerTimeoutMs: ms(1_000).optional(),
    presenceTtlMs: ms(1_000).optional(),
    /** Protocol messages (edits included) per minute: what one agent may send, and what it sends at most. */
    messagesPerMinute: z.number().int().min(3).max(600).optional(),
    maxResultBytes: z
      .number()
      .int()
      .min(1_024)
      .max(50 * 1024 * 1024)
      .optional(),
    /** On a remote agent's host: the orchestrator's bot (its user id, and its handle). */
    orchestrator: z.object({ botUserId, handle: handle.optional() }).strict().optional(),
  })
  .strict()
  .default({ agents: [] });
