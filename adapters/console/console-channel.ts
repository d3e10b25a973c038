import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type {
  ChatLimits,
  ChatPort,
  CursorStore,
  MessageEdit,
  SentMessage,
} from '../../src/chat/chat-port.ts';
import { createSerialDelivery } from '../../src/chat/serial-delivery.ts';
import { assertWithinTextLimit } from '../../src/chat/text-limit.ts';
import { ChatError } from '../../src/core/errors.ts';
import { silentLogger, type Logger } from '../../src/core/logger.ts';
import { systemClock, type Clock } from '../../src/core/types.ts';
import { withActionHints } from './console-action-hints.ts';
import { createConsoleCheckpoint } from './console-checkpoint.ts';
import { createConsoleEdits, type PrintedMessage } from './console-edits.ts';
import { createConsoleInputAssembler, type ConsoleInput } from './console-input.ts';
import { formatClockTime, renderConsoleMessage, type ConsoleMessageView } from './console-render.ts';

export interface ConsoleChannelOptions {
  /** Channel id reported on incoming messages. */
  channelId?: string;
  /** The person at the keyboard; the orchestrator's config decides whether this id is an admin. */
  user?: { id?: string; name?: string };
  /** Name shown for messages without a speaker. */
  botName?: string;
  /** Where attachments are written; their path is printed. */
  attachmentDir?: string;
  /** Force colour on or off; by default on only for a TTY without NO_COLOR. */
  color?: boolean;
  /** Print times in UTC instead of local time. */
  utc?: boolean;
  /** Print the person's own lines back; by default only when the input is not a TTY (piped input). */
  echoInput?: boolean;
  /** Where the ledger's checkpoint is kept (the console cannot pin a message); see console-checkpoint.ts. */
  checkpointFile?: string;
  /**
   * When output is not a terminal: the least time between two printed updates of one message in
   * the same state (a task's progress); the newest update waits for the rest of the interval.
   */
  progressIntervalMs?: number;
  /**
   * A `/task` whose body lines are being typed is sent after this long without a new line. By
   * default only for piped input (500 ms): a program writes a whole message at once, a person
   * at a terminal ends the body with an empty line.
   */
  taskBodyIdleMs?: number;
}

export interface ConsoleChannelDeps {
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: NodeJS.WritableStream & { isTTY?: boolean };
  env?: Record<string, string | undefined>;
  clock?: Clock;
  logger?: Logger;
  /** Keeps message numbers unique across runs, so the inbox never mistakes a new line for an old one. */
  cursors?: CursorStore;
}

/** The console ChatPort; it can be started again after stop (lines typed meanwhile stay buffered). */
export interface ConsoleChannel extends ChatPort {
  edit(target: SentMessage, message: MessageEdit): Promise<void>;
  readonly isStarted: boolean;
}

export const DefaultConsoleChannelOptions = {
  channelId: 'console',
  userId: 'console',
  botName: 'swarm',
  attachmentDir: './.swarm-work/attachments',
  checkpointFile: './.swarm-work/checkpoint.txt',
  progressIntervalMs: 5_000,
  pipedTaskBodyIdleMs: 500,
  limits: { maxTextLength: 4000, maxAttachmentBytes: 10 * 1024 * 1024 },
} as const satisfies Omit<ConsoleChannelOptions, 'user'> & {
  userId: string;
  pipedTaskBodyIdleMs: number;
  limits: ChatLimits;
};

const CURSOR_KEY = 'console:lastMessageId';
// Remember enough recent messages to render edits with their speaker and skip no-op edits.
const MAX_REMEMBERED = 10_000;

/** Creates the console channel (platform 'console'): prints to `output`, reads one message per line of `input`. */
export function createConsoleChannel(
  options: ConsoleChannelOptions = {},
  deps: ConsoleChannelDeps = {},
): ConsoleChannel {
  const input = deps.input ?? process.stdin;
  const output = deps.output ?? process.stdout;
  const env = deps.env ?? process.env;
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const defaults = DefaultConsoleChannelOptions;
  const user = { id: options.user?.id ?? defaults.userId, name: options.user?.name ?? (env.USER || 'you') };
  const botName = options.botName ?? defaults.botName;
  const attachmentDir = options.attachmentDir ?? defaults.attachmentDir;
  const color = options.color ?? (output.isTTY === true && !env.NO_COLOR);
  const echoInput = options.echoInput ?? input.isTTY !== true;
  const limits: ChatLimits = { ...defaults.limits };

  const remembered = new Map<string, PrintedMessage>();
  const assembler = createConsoleInputAssembler();
  const taskBodyIdleMs = options.taskBodyIdleMs ?? (input.isTTY === true ? 0 : defaults.pipedTaskBodyIdleMs);
  let bodyTimer: NodeJS.Timeout | undefined;
  const delivery = createSerialDelivery(logger, 'console');
  let lastId = Number(deps.cursors?.get(CURSOR_KEY) ?? 0) || 0;
  let reader: Interface | undefined;

  const nextId = (): string => {
    lastId += 1;
    deps.cursors?.set(CURSOR_KEY, String(lastId));
    return String(lastId);
  };
  const render = (view: Omit<ConsoleMessageView, 'time'>): string =>
    renderConsoleMessage({ ...view, time: formatClockTime(clock.now(), options.utc) }, { color });
  const remember = (id: string, view: PrintedMessage): void => {
    remembered.set(id, view);
    if (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
  };
  const edits = createConsoleEdits({
    tty: output.isTTY === true,
    progressIntervalMs: options.progressIntervalMs ?? defaults.progressIntervalMs,
    clock,
    botName,
    printed: (id) => remembered.get(id),
    remember,
    // Cursor up one line and clear it, then print the update where its previous version was.
    print: (view, overwriteLast) => output.write((overwriteLast ? '\x1b[1A\r\x1b[2K' : '') + render(view)),
  });
  const print = (view: Omit<ConsoleMessageView, 'time'>): void => {
    edits.noteOtherOutput();
    output.write(render(view));
  };
  const onOutputError = (err: unknown): void => logger.warn('console output failed', { error: String(err) });

  const onLine = (line: string): void => {
    if (bodyTimer !== undefined) clearTimeout(bodyTimer);
    bodyTimer = undefined;
    const wasOpen = assembler.pending;
    for (const parsed of assembler.push(line)) deliver(parsed);
    if (!assembler.pending) return;
    if (!wasOpen && input.isTTY === true) {
      edits.noteOtherOutput();
      output.write('  (the lines you type next are the body; an empty line sends the task)\n');
    }
    if (taskBodyIdleMs > 0) {
      bodyTimer = setTimeout(flushBody, taskBodyIdleMs);
      bodyTimer.unref();
    }
  };
  const flushBody = (): void => {
    if (bodyTimer !== undefined) clearTimeout(bodyTimer);
    bodyTimer = undefined;
    const parsed = assembler.flush();
    if (parsed) deliver(parsed);
  };

  const deliver = (parsed: ConsoleInput): void => {
    const messageId = nextId();
    const replyTo = parsed.replyToMessageId;
    const threadId = replyTo === undefined ? undefined : remembered.get(replyTo)?.under?.messageId;
    if (echoInput)
      print({
        messageId,
        kind: 'human',
        who: user.name,
        text: parsed.text,
        ...(replyTo !== undefined && { replyToMessageId: replyTo }),
      });
    delivery.push({
      platform: 'console',
      channelId: options.channelId ?? defaults.channelId,
      messageId,
      author: { id: user.id, name: user.name, isBot: false },
      text: parsed.text,
      sentAt: clock.now(),
      ...(replyTo !== undefined && { replyToMessageId: replyTo }),
      ...(threadId !== undefined && { threadId }),
    });
  };

  const writeAttachment = async (messageId: string, fileName: string, content: Buffer): Promise<string> => {
    // Only the base name, with a safe alphabet: a worker's file name must not climb out of the directory.
    const safe =
      path
        .basename(fileName)
        .replace(/[^\w.-]/g, '_')
        .replace(/^\.+/, '_')
        .slice(0, 100) || 'file';
    const target = path.join(attachmentDir, `${messageId}-${safe}`);
    try {
      await mkdir(attachmentDir, { recursive: true });
      await writeFile(target, content);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const transient = code === 'EMFILE' || code === 'ENFILE' || code === 'EBUSY' || code === 'EAGAIN';
      throw new ChatError(`cannot write attachment ${safe}: ${code ?? String(err)}`, {
        permanent: !transient,
        cause: err,
      });
    }
    return target;
  };

  return {
    platform: 'console',
    limits,
    checkpoint: createConsoleCheckpoint(options.checkpointFile ?? defaults.checkpointFile),
    get isStarted() {
      return delivery.attached;
    },

    async start(onMessage) {
      if (delivery.attached) throw new Error('console channel already started');
      output.on('error', onOutputError);
      const rl = createInterface({ input, terminal: false, crlfDelay: Infinity });
      reader = rl;
      rl.on('line', onLine);
      // End of input is not the end of the swarm: keep posting, just stop listening.
      rl.on('close', () => {
        if (reader !== rl) return;
        flushBody();
        logger.info('console input ended; continuing without input');
      });
      delivery.attach(onMessage);
    },

    async stop() {
      delivery.attach(undefined);
      const rl = reader;
      reader = undefined;
      rl?.off('line', onLine);
      rl?.close();
      if (bodyTimer !== undefined) clearTimeout(bodyTimer);
      edits.stop();
      output.off('error', onOutputError);
    },

    async send(message) {
      assertWithinTextLimit(limits, message);
      const file = message.attachment;
      if (file && file.content.length > limits.maxAttachmentBytes) {
        throw new ChatError(
          `attachment too large: ${file.content.length} > ${limits.maxAttachmentBytes} bytes`,
          { permanent: true },
        );
      }
      const messageId = nextId();
      const under = message.under && { messageId: message.under.messageId, taskId: message.under.taskId };
      const attachments = file
        ? [{ fileName: file.fileName, path: await writeAttachment(messageId, file.fileName, file.content) }]
        : [];
      const view = {
        who: message.speaker ?? botName,
        text: withActionHints(message.text, message.actions),
        ...(message.heading !== undefined && { heading: message.heading }),
        ...(under && { under }),
      };
      remember(messageId, view);
      print({
        ...view,
        messageId,
        kind: 'sent',
        attachments,
        ...(message.replyToMessageId !== undefined && { replyToMessageId: message.replyToMessageId }),
      });
      return under ? { messageId, threadId: under.messageId } : { messageId };
    },

    async edit(target, message) {
      assertWithinTextLimit(limits, message);
      edits.edit(target.messageId, {
        text: withActionHints(message.text, message.actions),
        ...(message.heading !== undefined && { heading: message.heading }),
      });
    },
  };
}
