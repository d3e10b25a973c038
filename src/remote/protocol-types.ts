/**
 * The remote-agent protocol's words, carried by ordinary chat messages between the orchestrator's bot
 * and each remote agent's bot:
 *
 * - tag: `T-17#3`, a task and an attempt number; every message about one attempt carries it.
 * - handle: the name a message is addressed to (`/claim@swarm_bot`): on Telegram the bot's username
 *   (so Bot-to-Bot Communication Mode delivers it), on Discord any agreed name.
 * - hello: an agent's status message, posted at start and edited as its heartbeat.
 * - offer → claim → grant | taken: how one agent gets one attempt; the ledger decides.
 * - ask → reply, result → ack | refused, stop, release: the rest of an attempt's life.
 */
import { z } from 'zod';

/** The verbs an agent's bot sends to the orchestrator. */
export const AGENT_VERBS = ['hello', 'claim', 'ask', 'result', 'release'] as const;
/** The verbs the orchestrator's bot sends to an agent. */
export const ORCHESTRATOR_VERBS = ['offer', 'grant', 'taken', 'reply', 'stop', 'ack', 'refused'] as const;
export type AgentVerb = (typeof AGENT_VERBS)[number];
export type OrchestratorVerb = (typeof ORCHESTRATOR_VERBS)[number];
export type Verb = AgentVerb | OrchestratorVerb;

/** Protocol limits: a message longer than this is refused unread, whatever the platform allows. */
export const PROTOCOL_LIMITS = {
  maxMessageChars: 8_000,
  maxNoteChars: 160,
  maxQuestionChars: 2_000,
  maxAnswerChars: 2_000,
  maxInlineResultChars: 1_500,
  maxHeld: 64,
} as const;

/** One task attempt, as `T-17#3`. */
export interface Tag {
  taskId: string;
  attempt: number;
}

export const TAG_PATTERN = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})#([1-9]\d{0,5})$/;

/** `T-17#3` for task T-17, attempt 3. */
export function formatTag(tag: Tag): string {
  return `${tag.taskId}#${tag.attempt}`;
}

/** The tag in `text`, or undefined when it is not one. */
export function parseTag(text: string): Tag | undefined {
  const m = TAG_PATTERN.exec(text);
  if (!m || m[1]!.includes('..')) return undefined;
  return { taskId: m[1]!, attempt: Number(m[2]) };
}

const agentId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/);
const skill = z.string().regex(/^[a-z0-9_-]{1,64}$/);
const count = z.coerce.number().int().min(0).max(64);
const tagSchema = z.string().transform((text, ctx) => {
  const tag = parseTag(text);
  if (!tag) {
    ctx.addIssue({ code: 'custom', message: `not a tag like T-17#3: ${text.slice(0, 40)}` });
    return z.NEVER;
  }
  return tag;
});

/** One held attempt inside a hello: the heartbeat of that attempt, with its newest progress. */
export const heldSchema = z
  .object({
    tag: tagSchema,
    pct: z.number().int().min(0).max(100).nullable().default(null),
    text: z.string().max(200).default(''),
  })
  .strict();

/** What the orchestrator sends an agent for a granted attempt: everything the worker needs. */
export const grantedTaskSchema = z
  .object({
    title: z.string().max(500),
    body: z.string().max(200_000),
    skills: z.array(skill).max(64),
    notes: z.array(z.string().max(20_000)).max(200),
    timeoutMs: z.number().int().min(1_000),
    maxAttempts: z.number().int().min(1),
    /** Which try of the task this attempt is (attempts given back with `release` do not count). */
    try: z.number().int().min(1),
    review: z.boolean(),
  })
  .strict();
export type GrantedTask = z.infer<typeof grantedTaskSchema>;

/** One artifact inside a result bundle. */
export const bundledArtifactSchema = z
  .object({
    name: z.string().min(1).max(255),
    size: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    base64: z.string(),
  })
  .strict();

/** The file an agent attaches to a result that does not fit one message (or has artifacts). */
export const resultBundleSchema = z
  .object({
    tag: z.string(),
    output: z.string().optional(),
    error: z.string().optional(),
    artifacts: z.array(bundledArtifactSchema).max(32).default([]),
  })
  .strict();
export type ResultBundle = z.infer<typeof resultBundleSchema>;

const note = z.string().max(PROTOCOL_LIMITS.maxNoteChars).optional();
const why = z.string().regex(/^[a-z_]{1,40}$/);

/** Every protocol message, after decoding; `to` is the handle it was addressed to. */
export const protocolMessageSchema = z.discriminatedUnion('verb', [
  z.object({
    verb: z.literal('hello'),
    to: z.string(),
    agent: agentId,
    capacity: count.pipe(z.number().min(1)),
    free: count,
    beat: z.coerce.number().int().min(0),
    skills: z.array(skill).max(64),
    held: z.array(heldSchema).max(PROTOCOL_LIMITS.maxHeld),
  }),
  z.object({ verb: z.literal('claim'), to: z.string(), tag: tagSchema, agent: agentId }),
  z.object({
    verb: z.literal('ask'),
    to: z.string(),
    tag: tagSchema,
    question: z.string().min(1).max(PROTOCOL_LIMITS.maxQuestionChars),
  }),
  z.object({
    verb: z.literal('result'),
    to: z.string(),
    tag: tagSchema,
    outcome: z.enum(['ok', 'fail']),
    /** Inline output (ok) or error (fail); absent when the result comes as a bundle file. */
    text: z
      .string()
      .max(PROTOCOL_LIMITS.maxInlineResultChars * 2)
      .optional(),
    /** File name of the attached bundle. */
    bundle: z.string().max(255).optional(),
  }),
  z.object({ verb: z.literal('release'), to: z.string(), tag: tagSchema, reason: z.string().max(500) }),
  z.object({ verb: z.literal('offer'), to: z.string(), tag: tagSchema, agent: agentId, title: note }),
  z.object({
    verb: z.literal('grant'),
    to: z.string(),
    tag: tagSchema,
    agent: agentId,
    leaseMs: z.coerce.number().int().min(1_000),
    /** Inline task; absent when it comes as an attached file named `bundle`. */
    task: grantedTaskSchema.optional(),
    bundle: z.string().max(255).optional(),
  }),
  z.object({ verb: z.literal('taken'), to: z.string(), tag: tagSchema, why, detail: note }),
  z.object({
    verb: z.literal('reply'),
    to: z.string(),
    tag: tagSchema,
    answer: z.string().max(PROTOCOL_LIMITS.maxAnswerChars * 10),
  }),
  z.object({ verb: z.literal('stop'), to: z.string(), tag: tagSchema, why, detail: note }),
  z.object({
    verb: z.literal('ack'),
    to: z.string(),
    tag: tagSchema,
    outcome: z.enum(['done', 'review', 'failed', 'released']),
  }),
  z.object({ verb: z.literal('refused'), to: z.string(), tag: tagSchema.optional(), why, detail: note }),
]);

/** A decoded protocol message. */
export type ProtocolMessage = z.output<typeof protocolMessageSchema>;
export type ProtocolOf<V extends Verb> = Extract<ProtocolMessage, { verb: V }>;
/** What an encoder takes: tags as objects, optional fields omitted. */
export type ProtocolInput = ProtocolMessage;
