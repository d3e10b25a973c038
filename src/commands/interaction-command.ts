/**
 * Turns a native command (a name and its options, as a platform's command picker sends them) into
 * the same `Command` the typed grammar produces, through the same fields, so `/task` picked from a
 * menu and `/task` typed are validated alike. Options come from strangers' clients: an unknown name,
 * an unknown option or a value of the wrong type is refused with a message, never thrown.
 */
import { validate, type Parsed } from './command-args.ts';
import { commandForWord } from './command-catalog.ts';
import {
  agentIdField,
  dependsOnField,
  keyField,
  quoteValue,
  requiredTextField,
  reviewField,
  skillsField,
  taskRefField,
  timeoutField,
  titleField,
  wholeNumberField,
} from './command-fields.ts';
import { COMMAND_LIMITS, CommandSchema, type Command, type CommandName } from './command-types.ts';
import { NATIVE_COMMANDS } from './native-commands.ts';

/** Option values as platforms deliver them. */
export type NativeOptions = Readonly<Record<string, string | number | boolean>>;

/** Option values as the typed grammar's fields read them: words. */
const asWord = (v: string | number | boolean | undefined): string | undefined =>
  v === undefined ? undefined : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);

/** Reads a native command into a `Command`, or says what was wrong. */
export function toCommandFromOptions(name: string, options: NativeOptions): Parsed<Command> {
  const spec = NATIVE_COMMANDS.find((c) => c.name === name);
  if (spec === undefined) return { ok: false, problem: `unknown command /${quoteValue(name).slice(1, -1)}` };
  const known = new Set(spec.options.map((o) => o.name));
  for (const key of Object.keys(options)) {
    if (!known.has(key)) return { ok: false, problem: `/${name} has no option ${quoteValue(key)}` };
  }
  const word = (key: string): string | undefined => asWord(options[key]);
  const built = build(spec.name, word);
  if (!built.ok) return built;
  // The same schema as typed commands: nothing reaches the ledger that the grammar would refuse.
  const checked = CommandSchema.safeParse(built.value);
  return checked.success
    ? { ok: true, value: checked.data }
    : { ok: false, problem: 'the command is not valid' };
}

type Word = (key: string) => string | undefined;

function build(name: CommandName, word: Word): Parsed<Command> {
  const taskId = (): Parsed<string> => validate(taskRefField, word('task'));
  const withTask = (make: (id: string) => Parsed<Command>): Parsed<Command> => {
    const id = taskId();
    return id.ok ? make(id.value) : id;
  };
  const textOf = (key: string, missing: string): Parsed<string> =>
    validate(requiredTextField(missing), word(key));
  const optionalAgent = (): Parsed<string | undefined> => {
    const raw = word('agent');
    return raw === undefined || raw.trim() === ''
      ? { ok: true, value: undefined }
      : validate(agentIdField, raw);
  };
  switch (name) {
    case 'task':
      return buildTask(word);
    case 'cancel':
      return withTask((id) => {
        const reason = word('reason')?.trim();
        return { ok: true, value: reason ? { name, taskId: id, reason } : { name, taskId: id } };
      });
    case 'retry':
    case 'approve':
      return withTask((id) => ({ ok: true, value: { name, taskId: id } }));
    case 'assign':
      return withTask((id) => {
        const agentId = validate(agentIdField, word('agent'));
        return agentId.ok ? { ok: true, value: { name, taskId: id, agentId: agentId.value } } : agentId;
      });
    case 'priority':
      return withTask((id) => {
        const field = wholeNumberField('priority', COMMAND_LIMITS.minPriority, COMMAND_LIMITS.maxPriority);
        const p = validate(field, word('priority'));
        return p.ok ? { ok: true, value: { name, taskId: id, priority: p.value } } : p;
      });
    case 'pause':
    case 'resume': {
      const agentId = optionalAgent();
      if (!agentId.ok) return agentId;
      return { ok: true, value: agentId.value === undefined ? { name } : { name, agentId: agentId.value } };
    }
    case 'reject':
      return withTask((id) => {
        const t = textOf('feedback', 'reject needs feedback saying what to change');
        return t.ok ? { ok: true, value: { name, taskId: id, feedback: t.value } } : t;
      });
    case 'note':
    case 'answer':
      return withTask((id) => {
        const t = textOf('text', name === 'note' ? 'missing the note text' : 'missing the answer text');
        return t.ok ? { ok: true, value: { name, taskId: id, text: t.value } } : t;
      });
    case 'status':
      if (word('task') === undefined) return { ok: true, value: { name } };
      return withTask((id) => ({ ok: true, value: { name, taskId: id } }));
    case 'agents':
      return { ok: true, value: { name } };
    case 'help': {
      const raw = word('command');
      if (raw === undefined || raw.trim() === '') return { ok: true, value: { name } };
      const topic = commandForWord(raw.trim().replace(/^[/!]/, ''));
      if (topic === undefined) return { ok: false, problem: `there is no command ${quoteValue(raw)}` };
      return { ok: true, value: { name, topic } };
    }
    case 'schedule':
      // Schedules have sub-commands and many options: typed as a message, not offered in the picker.
      return { ok: false, problem: 'type /schedule … as a message (see /help schedule)' };
  }
}

function buildTask(word: Word): Parsed<Command> {
  const title = validate(titleField, word('title'));
  if (!title.ok) return title;
  const field = <T>(key: string, schema: Parameters<typeof validate>[0]): Parsed<T | undefined> => {
    const raw = word(key);
    return raw === undefined ? { ok: true, value: undefined } : (validate(schema, raw) as Parsed<T>);
  };
  const skills = field<string[]>('skills', skillsField);
  const priority = field<number>(
    'priority',
    wholeNumberField('priority', COMMAND_LIMITS.minPriority, COMMAND_LIMITS.maxPriority),
  );
  const after = field<string[]>('after', dependsOnField);
  const review = field<boolean>('review', reviewField);
  const key = field<string>('key', keyField);
  const attempts = field<number>(
    'attempts',
    wholeNumberField('attempts', COMMAND_LIMITS.minAttempts, COMMAND_LIMITS.maxAttempts),
  );
  const timeout = field<number>('timeout', timeoutField);
  for (const p of [skills, priority, after, review, key, attempts, timeout]) if (!p.ok) return p;
  const v = <T>(p: Parsed<T | undefined>): T | undefined => (p.ok ? p.value : undefined);
  const dependsOn = v(after) ?? [];
  const keyValue = v(key);
  if (keyValue !== undefined && dependsOn.includes(keyValue)) {
    return { ok: false, problem: `a task cannot wait for itself: key=${keyValue} is also in after=` };
  }
  const body = (word('body') ?? '').replace(/\r\n?/g, '\n').trim();
  const timeoutMs = v(timeout);
  return {
    ok: true,
    value: {
      name: 'task',
      title: title.value,
      body,
      skills: v(skills) ?? [],
      priority: v(priority) ?? COMMAND_LIMITS.defaultPriority,
      dependsOn,
      review: v(review) ?? false,
      maxAttempts: v(attempts) ?? COMMAND_LIMITS.defaultAttempts,
      ...(keyValue !== undefined ? { key: keyValue } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    },
  };
}
