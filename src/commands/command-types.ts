/**
 * The commands people type in the channel, as zod schemas of their parsed form. The grammar
 * (`command-grammar.ts`) produces these; the command handler acts on them.
 */
import { z } from 'zod';
import { SCHEDULE_ID_PATTERN } from '../core/schedule-key.ts';
import type { ScheduleSpec } from '../core/schedule-types.ts';

/** Bounds shared by the grammar, the schemas and the help text. */
export const COMMAND_LIMITS = {
  maxInputChars: 20_000,
  maxTitleChars: 200,
  minPriority: 0,
  maxPriority: 9,
  defaultPriority: 5,
  minAttempts: 1,
  maxAttempts: 20,
  defaultAttempts: 3,
  minTimeoutMs: 1_000,
  maxTimeoutMs: 86_400_000,
  maxSkills: 20,
  maxDependencies: 50,
} as const satisfies Record<string, number>;

/** A numbered task id as the ledger writes it. */
export const TASK_NUMBER_PATTERN = /^T-[1-9]\d*$/;
/** A creator's key (`ORA-001`), which becomes the task id and its idempotency key. */
export const TASK_KEY_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const AGENT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const SKILL_PATTERN = /^[a-z0-9_-]{1,64}$/;

/** A task reference after normalising: `T-<n>` or a creator key. */
export const TaskRefSchema = z.string().regex(TASK_KEY_PATTERN);
export const AgentIdSchema = z.string().regex(AGENT_ID_PATTERN);

/** Every command name, in the order help lists them. */
export const COMMAND_NAMES = [
  'task',
  'cancel',
  'retry',
  'assign',
  'priority',
  'pause',
  'resume',
  'approve',
  'reject',
  'note',
  'answer',
  'schedule',
  'status',
  'agents',
  'help',
] as const;

export const CommandNameSchema = z.enum(COMMAND_NAMES);

const codePoints = (s: string): number => [...s].length;

export const TaskCommandSchema = z.object({
  name: z.literal('task'),
  title: z.string().refine((t) => codePoints(t) >= 1 && codePoints(t) <= COMMAND_LIMITS.maxTitleChars),
  body: z.string(),
  skills: z.array(z.string().regex(SKILL_PATTERN)).max(COMMAND_LIMITS.maxSkills),
  /** Higher runs first. */
  priority: z.number().int().min(COMMAND_LIMITS.minPriority).max(COMMAND_LIMITS.maxPriority),
  dependsOn: z.array(TaskRefSchema).max(COMMAND_LIMITS.maxDependencies),
  review: z.boolean(),
  key: TaskRefSchema.exactOptional(),
  maxAttempts: z.number().int().min(COMMAND_LIMITS.minAttempts).max(COMMAND_LIMITS.maxAttempts),
  timeoutMs: z
    .number()
    .int()
    .min(COMMAND_LIMITS.minTimeoutMs)
    .max(COMMAND_LIMITS.maxTimeoutMs)
    .exactOptional(),
  /** What the task may spend (dollars and/or tokens); see src/core/usage.ts. */
  budget: z
    .object({
      usd: z.number().positive().exactOptional(),
      tokens: z.number().int().positive().exactOptional(),
    })
    .exactOptional(),
});

const taskOnly = <N extends string>(name: N) => z.object({ name: z.literal(name), taskId: TaskRefSchema });
const taskWithText = <N extends string>(name: N) =>
  z.object({ name: z.literal(name), taskId: TaskRefSchema, text: z.string().min(1) });
/** No agent means the whole swarm. */
const agentOrSwarm = <N extends string>(name: N) =>
  z.object({ name: z.literal(name), agentId: AgentIdSchema.exactOptional() });

/** What `/schedule` does; `list` is open to everyone, the rest need an admin. */
export const SCHEDULE_ACTIONS = ['add', 'list', 'pause', 'resume', 'remove', 'run'] as const;
export type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];

export const ScheduleCommandSchema = z.object({
  name: z.literal('schedule'),
  action: z.enum(SCHEDULE_ACTIONS),
  /** Every action but `list`. */
  scheduleId: z.string().regex(SCHEDULE_ID_PATTERN).exactOptional(),
  /** `add`: the checked schedule (see `src/schedules/schedule-spec.ts`). */
  spec: z
    .custom<ScheduleSpec>(
      (v) => typeof v === 'object' && v !== null && 'id' in v && 'definition' in v,
      'a checked schedule',
    )
    .exactOptional(),
});

export const CommandSchema = z.discriminatedUnion('name', [
  TaskCommandSchema,
  z.object({ name: z.literal('cancel'), taskId: TaskRefSchema, reason: z.string().min(1).exactOptional() }),
  taskOnly('retry'),
  z.object({ name: z.literal('assign'), taskId: TaskRefSchema, agentId: AgentIdSchema }),
  z.object({
    name: z.literal('priority'),
    taskId: TaskRefSchema,
    priority: TaskCommandSchema.shape.priority,
  }),
  agentOrSwarm('pause'),
  agentOrSwarm('resume'),
  taskOnly('approve'),
  z.object({ name: z.literal('reject'), taskId: TaskRefSchema, feedback: z.string().min(1) }),
  taskWithText('note'),
  /** Answers a blocked task's question. */
  taskWithText('answer'),
  ScheduleCommandSchema,
  z.object({ name: z.literal('status'), taskId: TaskRefSchema.exactOptional() }),
  z.object({ name: z.literal('agents') }),
  z.object({ name: z.literal('help'), topic: CommandNameSchema.exactOptional() }),
]);

/** A parsed command, discriminated on `name`. */
export type Command = z.infer<typeof CommandSchema>;
export type CommandName = Command['name'];
/** The command with the given name, e.g. `CommandOf<'cancel'>`. */
export type CommandOf<N extends CommandName> = Extract<Command, { name: N }>;
export type TaskCommand = CommandOf<'task'>;

/**
 * What `parseCommand` returns. `none`: ordinary chat, ignore it. `addressedTo` is the bot named in
 * `/cmd@name` or `!cmd@name` (as typed; compare case-insensitively): the handler ignores a command
 * addressed to any name but the swarm's bot (`IncomingMessage.botUsername`).
 */
export type ParseResult =
  | { kind: 'none' }
  | { kind: 'ok'; command: Command; addressedTo?: string }
  | {
      kind: 'error';
      /** What was wrong, in one or a few short sentences. */
      message: string;
      /** The right form (usage line and an example), or the list of commands. */
      usage: string;
      /** The command the person meant, when the word was recognised. */
      command?: CommandName;
      addressedTo?: string;
    };
