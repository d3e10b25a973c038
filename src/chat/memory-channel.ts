import { createSerialDelivery } from './serial-delivery.ts';
import { assertWithinTextLimit } from './text-limit.ts';
import { ChatError } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import { systemClock, type Clock } from '../core/types.ts';
import type {
  ChatLimits,
  ChatPort,
  CheckpointBoard,
  Interaction,
  InteractionReply,
  MessageEdit,
  SentMessage,
  TaskAnchor,
} from './chat-port.ts';
import { createMemoryCheckpoint } from './memory-checkpoint.ts';
import { createMemoryTranscript, type MemoryTranscriptEntry } from './memory-transcript.ts';

export type { MemoryTranscriptEntry } from './memory-transcript.ts';

/** Who presses a button or uses a command in the memory channel. */
export interface HumanInteractor {
  authorId?: string;
  name?: string;
  /** The interaction's id; give an earlier one to redeliver it, as a platform might. */
  id?: string;
}

/** An interaction without its `ack`, as a test describes it. */
export type InteractionInput = Interaction extends infer I
  ? I extends unknown
    ? Omit<I, 'ack'>
    : never
  : never;

/** How to build a memory channel; every field has a default. */
export interface MemoryChannelOptions {
  channelId?: string;
  limits?: Partial<ChatLimits>;
  clock?: Clock;
  logger?: Logger;
  /** Display name of the swarm's own account. */
  botName?: string;
}

/** Who posts a person's message in the memory channel, and where. */
export interface HumanPost {
  authorId?: string;
  name?: string;
  /** Platform id of the message this one replies to. */
  replyTo?: string;
  /** Post in the details area of this task main message (its id, or the SentMessage from send). */
  under?: string | SentMessage;
}

/** A ChatPort that lives in memory, plus the controls tests use to play the people in the channel. */
export interface MemoryChannel extends ChatPort {
  edit(target: SentMessage, message: MessageEdit): Promise<void>;
  closeDetails(anchor: TaskAnchor): Promise<void>;
  readonly checkpoint: CheckpointBoard;
  readonly isStarted: boolean;
  /** Posts as a person; delivered to the handler if started, else queued until the next start. */
  postAsHuman(text: string, options?: HumanPost): string;
  /** Posts as a bot that is not the swarm; shown in the transcript, never delivered. */
  postAsBot(text: string, options?: { authorId?: string; name?: string }): string;
  /** Every message in posting order (copies). */
  transcript(): MemoryTranscriptEntry[];
  /** Task ids whose details area was closed, in order. */
  closedDetails(): string[];
  /** Ids of pinned messages, oldest pin first. */
  pinnedIds(): string[];
  /** Unpins a message (or every one), as a person in the channel might. */
  unpin(messageId?: string): void;
  /** Removes a message, as a person (or a forger holding the bot's account) might. */
  deleteMessage(messageId: string): void;
  /** Makes the next `count` send/edit/closeDetails/checkpoint calls throw `error` (nothing is posted). */
  failNext(count: number, error: ChatError): void;
  /** Resolves once every queued delivery has been handled (or the channel is stopped). */
  idle(): Promise<void>;
  /**
   * Presses a button, submits a form or uses a native command as a person; resolves with what the
   * person was told privately (delivered when the channel is started).
   */
  interact(input: InteractionInput, who?: HumanInteractor): Promise<InteractionReply>;
}

/** Defaults for {@link MemoryChannelOptions}. */
export const DefaultMemoryChannelOptions = {
  channelId: 'memory-channel',
  botName: 'swarm',
  limits: { maxTextLength: 2000, maxAttachmentBytes: 10 * 1024 * 1024 },
} as const satisfies MemoryChannelOptions;

/** Creates an in-memory chat channel (platform 'memory') that supports edit, details and catch-up. */
export function createMemoryChannel(options: MemoryChannelOptions = {}): MemoryChannel {
  const channelId = options.channelId ?? DefaultMemoryChannelOptions.channelId;
  const botName = options.botName ?? DefaultMemoryChannelOptions.botName;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const limits: ChatLimits = { ...DefaultMemoryChannelOptions.limits, ...options.limits };

  const transcript = createMemoryTranscript(clock);
  const closed: string[] = [];
  const delivery = createSerialDelivery(logger, 'memory channel');
  let failures: { remaining: number; error: ChatError } | undefined;

  const injectedFailure = (): void => {
    if (!failures || failures.remaining <= 0) return;
    failures.remaining -= 1;
    throw failures.error;
  };

  const channel: MemoryChannel = {
    platform: 'memory',
    limits,
    destination: `memory:${channelId}`,
    get isStarted() {
      return delivery.attached;
    },

    async start(onMessage) {
      if (delivery.attached) throw new Error('memory channel already started');
      delivery.attach(async (message) => {
        try {
          await onMessage(message);
        } finally {
          // Like the platform adapters: a press the handler left unanswered still gets an answer.
          await message.interaction?.ack({
            ok: false,
            text: '⚠️ The swarm could not handle that; try again.',
          });
        }
      });
    },

    async stop() {
      delivery.attach(undefined);
    },

    async send(message) {
      injectedFailure();
      assertWithinTextLimit(limits, message);
      if (message.attachment && message.attachment.content.length > limits.maxAttachmentBytes) {
        throw new ChatError(`attachment too large: ${message.attachment.content.length} bytes`, {
          permanent: true,
        });
      }
      const under = message.under?.messageId;
      const entry = transcript.post({
        authorId: 'swarm',
        authorName: botName,
        isBot: true,
        fromSwarm: true,
        text: message.text,
        nonce: message.nonce,
        ...(message.speaker !== undefined && { speaker: message.speaker }),
        ...(message.heading !== undefined && { heading: message.heading }),
        ...(under !== undefined && { underMessageId: under, threadId: under }),
        ...(message.replyToMessageId !== undefined && { replyToMessageId: message.replyToMessageId }),
        ...(message.attachment && { attachment: { ...message.attachment } }),
        ...(message.actions?.length ? { actions: message.actions.map((a) => ({ ...a })) } : {}),
        ...(message.promptsReply && { promptsReply: { ...message.promptsReply } }),
      });
      return under === undefined
        ? { messageId: entry.messageId }
        : { messageId: entry.messageId, threadId: under };
    },

    async edit(target, message) {
      injectedFailure();
      const entry = transcript.find(target.messageId);
      if (!entry) throw new ChatError(`unknown message ${target.messageId}`, { permanent: true });
      if (!entry.fromSwarm)
        throw new ChatError(`cannot edit message ${target.messageId} of another author`, { permanent: true });
      assertWithinTextLimit(limits, message);
      const actions = (message.actions ?? []).map((a) => ({ ...a }));
      const sameActions = JSON.stringify(actions ?? []) === JSON.stringify(entry.actions ?? []);
      if (entry.heading === message.heading && entry.text === message.text && sameActions) return;
      if (message.heading === undefined) delete entry.heading;
      else entry.heading = message.heading;
      entry.text = message.text;
      if (actions.length) entry.actions = actions;
      else delete entry.actions;
      entry.edits += 1;
    },

    async closeDetails(anchor) {
      injectedFailure();
      closed.push(anchor.taskId);
    },

    postAsHuman(text, opts = {}) {
      const under = typeof opts.under === 'string' ? opts.under : opts.under?.messageId;
      const entry = transcript.post({
        authorId: opts.authorId ?? 'human',
        authorName: opts.name ?? 'Human',
        isBot: false,
        fromSwarm: false,
        text,
        ...(under !== undefined && { underMessageId: under, threadId: under }),
        ...(opts.replyTo !== undefined && { replyToMessageId: opts.replyTo }),
      });
      delivery.push({
        platform: 'memory',
        channelId,
        messageId: entry.messageId,
        author: { id: entry.authorId, name: entry.authorName, isBot: false },
        text,
        sentAt: entry.sentAt,
        ...(under !== undefined && { threadId: under }),
        ...(opts.replyTo !== undefined && { replyToMessageId: opts.replyTo }),
      });
      return entry.messageId;
    },

    postAsBot(text, opts = {}) {
      return transcript.post({
        authorId: opts.authorId ?? 'other-bot',
        authorName: opts.name ?? 'Other bot',
        isBot: true,
        fromSwarm: false,
        text,
      }).messageId;
    },

    transcript: () => transcript.copies(),
    checkpoint: createMemoryCheckpoint(transcript, botName, injectedFailure),
    closedDetails: () => [...closed],
    pinnedIds: () => transcript.pinnedIds(),
    unpin: (messageId) => transcript.unpin(messageId),
    deleteMessage: (messageId) => transcript.remove(messageId),
    interact(input, who = {}) {
      return new Promise<InteractionReply>((resolve) => {
        const id = who.id ?? `i-${transcript.newId()}`;
        let answered = false;
        const interaction = {
          ...input,
          async ack(reply: InteractionReply) {
            // Answered once, as on the platforms; later answers are dropped.
            if (answered) return;
            answered = true;
            resolve(reply);
          },
        };
        delivery.push({
          platform: 'memory',
          channelId,
          messageId: id,
          author: { id: who.authorId ?? 'human', name: who.name ?? 'Human', isBot: false },
          text: '',
          sentAt: clock.now(),
          interaction,
        });
      });
    },
    failNext(count, error) {
      failures = { remaining: count, error };
    },
    idle: () => delivery.idle(),
  };
  return channel;
}
