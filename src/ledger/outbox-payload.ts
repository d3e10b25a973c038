import { z } from 'zod';

/**
 * What an outbox row asks the poster to show. Status rows carry no text: the poster renders the
 * task's current state when it sends, so a collapsed backlog of status changes shows the newest.
 */
export const OUTBOX_KINDS = ['status', 'detail', 'reply', 'notice', 'digest'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** Lower sends first: answers to people and outcomes, then claims and new tasks, then progress. */
export const OUTBOX_PRIORITY = { urgent: 0, normal: 1, low: 2 } as const;

export const outboxPayloadSchema = z.object({
  heading: z.string().optional(),
  text: z.string().default(''),
  /** Reply to this platform message (a person's command). */
  replyToMessageId: z.string().optional(),
  /** Agent speaking, when the line is the agent's own. */
  speaker: z.string().optional(),
  /** Path of a file to attach: the swarm's copy of an artifact, never the worker's file. */
  attachmentPath: z.string().optional(),
  /** Name the file is uploaded under. */
  attachmentName: z.string().optional(),
  /** SHA-256 (hex) and size recorded when the copy was made; the poster uploads only a file that matches. */
  attachmentSha256: z.string().optional(),
  attachmentBytes: z.number().int().nonnegative().optional(),
  /** True when the task reached a final state: the poster closes its details area afterwards. */
  closesDetails: z.boolean().optional(),
  /** People answer it by replying to it (a question): it goes out as its own message, never in a digest. */
  awaitsReply: z.boolean().optional(),
  /** A prompt for text: the platform opens the reply box on it (Telegram ForceReply). */
  promptsReply: z.object({ placeholder: z.string() }).optional(),
  /** The button data a prompt was posted for; a reply to the prompt completes that action. */
  prompt: z.string().optional(),
});
export type OutboxPayload = z.infer<typeof outboxPayloadSchema>;

export interface OutboxRow {
  id: number;
  channel: string;
  kind: OutboxKind;
  eventSeq: number | null;
  taskId: string | null;
  priority: number;
  payload: OutboxPayload;
  attempts: number;
  createdAt: number;
}
