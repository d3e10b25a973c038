/**
 * Reading and writing protocol messages. One message is at most two lines:
 *
 *     /claim@swarm_bot T-17#3 agent=coder-002 — coder-002 claims T-17 (attempt 3)
 *     {"question":"Which tone?"}
 *
 * The first line is a command addressed to one bot (on Telegram that is what makes another bot
 * receive it), the tag, `key=value` fields, and after ` — ` a note for people that programs ignore.
 * The optional second line is one JSON object with the free-text and structured fields. Decoding is
 * total: any string gives a result, never an exception.
 */
import {
  AGENT_VERBS,
  ORCHESTRATOR_VERBS,
  PROTOCOL_LIMITS,
  formatTag,
  parseTag,
  protocolMessageSchema,
  type AgentVerb,
  type OrchestratorVerb,
  type ProtocolMessage,
  type Verb,
} from './protocol-types.ts';

export type DecodeResult =
  | { ok: true; message: ProtocolMessage }
  /** Not a protocol message at all (ordinary chat, or a people's command): leave it to others. */
  | { ok: false; reason: 'not_protocol' }
  /** Looks like a protocol message but cannot be read: refuse it, say why. */
  | { ok: false; reason: 'malformed' | 'oversized'; detail: string };

const VERBS: ReadonlySet<string> = new Set<string>([...AGENT_VERBS, ...ORCHESTRATOR_VERBS]);
const HEAD = /^\/([a-z]{2,10})@([A-Za-z0-9_]{1,64})(?=\s|$)(.*)$/;
const FIELD = /^([a-zA-Z]{1,20})=([A-Za-z0-9._:,+-]{1,255})$/;
const NOTE_SEPARATOR = ' — ';

/** Fields written as `key=value` on the first line (short, no spaces); the rest go to the JSON line. */
const SCALAR_FIELDS: Record<Verb, readonly string[]> = {
  hello: ['agent', 'capacity', 'free', 'beat'],
  claim: ['agent'],
  ask: [],
  result: ['outcome', 'bundle'],
  release: [],
  offer: ['agent'],
  grant: ['agent', 'leaseMs', 'bundle'],
  taken: ['why'],
  reply: [],
  stop: ['why'],
  ack: ['outcome'],
  refused: ['why'],
};

/** True for verbs only an agent's bot may send. */
export function isAgentVerb(verb: Verb): verb is AgentVerb {
  return (AGENT_VERBS as readonly string[]).includes(verb);
}

/** True for verbs only the orchestrator's bot may send. */
export function isOrchestratorVerb(verb: Verb): verb is OrchestratorVerb {
  return (ORCHESTRATOR_VERBS as readonly string[]).includes(verb);
}

/**
 * Text as it left the sender: Telegram's adapter puts an invisible WORD JOINER after an `@` so a
 * name never pings anyone; it is taken out again here.
 */
function normalise(text: string): string {
  return text.replace(/@\u2060/g, '@').replace(/\r\n?/g, '\n');
}

/** Writes a message: the command line with its note, then the JSON line when there is one. */
export function encodeProtocol(message: ProtocolMessage, note?: string): string {
  const scalars = SCALAR_FIELDS[message.verb];
  const head: string[] = [`/${message.verb}@${message.to}`];
  const json: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    if (key === 'verb' || key === 'to' || value === undefined) continue;
    if (key === 'tag') {
      head.splice(1, 0, formatTag(value as { taskId: string; attempt: number }));
    } else if (key === 'held') {
      json.held = (value as Array<{ tag: { taskId: string; attempt: number } }>).map((h) => ({
        ...h,
        tag: formatTag(h.tag),
      }));
    } else if (scalars.includes(key)) {
      head.push(`${key}=${String(value)}`);
    } else {
      json[key] = value;
    }
  }
  const words = note ?? describeProtocol(message);
  const line = `${head.join(' ')}${words ? `${NOTE_SEPARATOR}${oneLine(words)}` : ''}`;
  return Object.keys(json).length > 0 ? `${line}\n${JSON.stringify(json)}` : line;
}

/** Reads a message; see `DecodeResult`. */
export function decodeProtocol(raw: string): DecodeResult {
  if (typeof raw !== 'string') return { ok: false, reason: 'not_protocol' };
  const text = normalise(raw.trimStart());
  const firstBreak = text.indexOf('\n');
  const first = (firstBreak < 0 ? text : text.slice(0, firstBreak)).trimEnd();
  const head = HEAD.exec(first);
  if (!head || !VERBS.has(head[1]!)) return { ok: false, reason: 'not_protocol' };
  const malformed = (detail: string): DecodeResult => ({ ok: false, reason: 'malformed', detail });
  if (raw.length > PROTOCOL_LIMITS.maxMessageChars) {
    return {
      ok: false,
      reason: 'oversized',
      detail: `${raw.length} characters; a protocol message may have ${PROTOCOL_LIMITS.maxMessageChars}`,
    };
  }
  const verb = head[1] as Verb;
  const fields: Record<string, unknown> = { verb, to: head[2] };
  const rest = head[3] ?? '';
  const noteAt = rest.indexOf(NOTE_SEPARATOR);
  const tokens = (noteAt < 0 ? rest : rest.slice(0, noteAt)).trim().split(/\s+/).filter(Boolean);
  for (const [i, token] of tokens.entries()) {
    if (i === 0 && parseTag(token)) {
      fields.tag = token;
      continue;
    }
    const kv = FIELD.exec(token);
    if (!kv) return malformed(`cannot read '${token.slice(0, 40)}' (expected key=value)`);
    if (!SCALAR_FIELDS[verb].includes(kv[1]!)) return malformed(`unknown field '${kv[1]}' for /${verb}`);
    fields[kv[1]!] = kv[2];
  }
  const lines = (firstBreak < 0 ? '' : text.slice(firstBreak + 1)).split('\n').filter((l) => l.trim());
  if (lines.length > 1) return malformed('more than one data line');
  if (lines.length === 1) {
    let data: unknown;
    try {
      data = JSON.parse(lines[0]!);
    } catch {
      return malformed('the data line is not JSON');
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      return malformed('the data line is not a JSON object');
    for (const [key, value] of Object.entries(data)) {
      if (key in fields || SCALAR_FIELDS[verb].includes(key) || key === 'verb' || key === 'to')
        return malformed(`field '${key}' given twice`);
      fields[key] = value;
    }
  }
  const parsed = protocolMessageSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return malformed(`${issue?.path.join('.') || verb}: ${issue?.message ?? 'invalid'}`);
  }
  return { ok: true, message: parsed.data };
}

/**
 * The handle a text is addressed to when its first line starts like a protocol message
 * (`/grant@coder_bot …`), whether or not the rest can be read; undefined for anything else.
 */
export function protocolAddressee(raw: string): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const text = normalise(raw.slice(0, 200).trimStart());
  const head = HEAD.exec(text.split('\n', 1)[0] ?? '');
  return head && VERBS.has(head[1]!) ? head[2] : undefined;
}

/** Whether `handle` names `me` (handles compare without case, like Telegram usernames). */
export function isAddressedTo(message: ProtocolMessage, me: string): boolean {
  return message.to.toLowerCase() === me.toLowerCase();
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PROTOCOL_LIMITS.maxNoteChars
    ? `${flat.slice(0, PROTOCOL_LIMITS.maxNoteChars - 1)}…`
    : flat;
}

/** The note people read after the command: what the message means, in words. */
export function describeProtocol(m: ProtocolMessage): string {
  switch (m.verb) {
    case 'hello': {
      const working = m.held.map(
        (h) => `${formatTag(h.tag)}${h.pct === null ? '' : ` ${h.pct}%`}${h.text ? ` ${h.text}` : ''}`,
      );
      return working.length
        ? `${m.agent} working on ${working.join(', ')}`
        : `${m.agent} ready: ${m.free} of ${m.capacity} free`;
    }
    case 'claim':
      return `${m.agent} claims ${m.tag.taskId} (attempt ${m.tag.attempt})`;
    case 'ask':
      return `question about ${m.tag.taskId}: ${m.question}`;
    case 'result':
      return `${m.tag.taskId} attempt ${m.tag.attempt} finished: ${m.outcome === 'ok' ? 'success' : 'failed'}`;
    case 'release':
      return `gives ${m.tag.taskId} attempt ${m.tag.attempt} back: ${m.reason}`;
    case 'offer':
      return `${m.tag.taskId} attempt ${m.tag.attempt} is open for ${m.agent}${m.title ? `: ${m.title}` : ''}`;
    case 'grant':
      return `${m.tag.taskId} attempt ${m.tag.attempt} is ${m.agent}'s; lease ${Math.round(m.leaseMs / 1000)}s`;
    case 'taken':
      return `${m.tag.taskId} attempt ${m.tag.attempt} not granted: ${m.detail ?? m.why}`;
    case 'reply':
      return `answer for ${m.tag.taskId}`;
    case 'stop':
      return `stop ${m.tag.taskId} attempt ${m.tag.attempt}: ${m.detail ?? m.why}`;
    case 'ack':
      return `result of ${m.tag.taskId} attempt ${m.tag.attempt} recorded (${m.outcome})`;
    case 'refused':
      return `refused${m.tag ? ` ${formatTag(m.tag)}` : ''}: ${m.detail ?? m.why}`;
  }
}
