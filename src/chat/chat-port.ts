/**
 * The chat port: everything the orchestrator needs from a chat platform, and nothing more.
 * Adapters (adapters/console, adapters/telegram, adapters/discord) implement it; the core never
 * imports a chat library.
 *
 * Text crosses the port as plain text. The adapter escapes it for the platform's format (HTML for
 * Telegram, markdown for Discord) and disables mentions, so user or worker text can never ping
 * anyone or inject markup.
 */

/** A message a person (or a configured remote agent) wrote in a channel the swarm listens to. */
export interface IncomingMessage {
  /** Adapter platform name: 'console' | 'telegram' | 'discord' | 'memory'. */
  platform: string;
  /** Chat / channel id the message was posted in (Discord: the parent channel even in a thread). */
  channelId: string;
  /** Platform message id, unique within the platform; the inbox key. */
  messageId: string;
  /** Discord thread id or Telegram forum topic id, when the message was posted inside one. */
  threadId?: string;
  author: {
    id: string;
    name: string;
    isBot: boolean;
    /** Discord role ids of the author in the guild, for role-based admin checks. */
    roleIds?: string[];
  };
  text: string;
  /**
   * The swarm's bot as people address it in a command (`/cmd@name`), when the platform has such
   * names (Telegram). A command addressed to any other name is ignored; without this, every
   * addressed command is.
   */
  botUsername?: string;
  /** The message this one replies to, when it is a reply (answers to an agent's question). */
  replyToMessageId?: string;
  /** Milliseconds since the epoch, from the platform. */
  sentAt: number;
  /**
   * True when this is a new version of a message delivered before (same `messageId`). Adapters
   * deliver edits only from the bots they were told to listen to (remote agents' heartbeats).
   */
  edited?: boolean;
  /** Files attached to the message; fetch one with `ChatPort.download`. */
  attachments?: IncomingAttachment[];
  /**
   * Set when the person pressed a button, submitted a form or used a native command instead of
   * typing. `messageId` is then the interaction's own id (prefixed by the adapter so it never equals
   * a message id) and `text` is empty: the core records what the interaction meant.
   */
  interaction?: Interaction;
}

/** A file attached to an incoming message, as the platform describes it (not yet downloaded). */
export interface IncomingAttachment {
  /** Platform handle for the file (Discord: its URL; Telegram: its file_id). */
  ref: string;
  fileName: string;
  /** Size in bytes as the platform reports it. */
  size: number;
}

/** A button the swarm puts under a message; `data` comes back verbatim when someone presses it. */
export interface MessageAction {
  /** What the button says: plain text, short. */
  label: string;
  /** Opaque, at most `MAX_ACTION_DATA_BYTES` bytes. Comes back as input from strangers: validate it. */
  data: string;
  style: 'primary' | 'secondary' | 'success' | 'danger';
  /** The action needs text from the person: Discord opens a form with one text field. */
  asksText?: { title: string; label: string };
  /** The typed command that does the same, for adapters that show actions as hints. */
  command: string;
}

/** The longest `MessageAction.data` (Telegram's callback_data limit; Discord allows 100). */
export const MAX_ACTION_DATA_BYTES = 64;

/** What the person is told about their interaction, privately (Discord ephemeral, Telegram toast). */
export interface InteractionReply {
  /** May be empty when nothing needs saying. */
  text: string;
  /** False for a refusal or a mistake. */
  ok: boolean;
  /** Suggestions for an autocomplete request. */
  choices?: Array<{ name: string; value: string }>;
}

/**
 * What a person did through the platform's own controls. `ack` is called exactly once with the
 * outcome; the adapter has already acknowledged the platform in time (Discord's 3 seconds).
 */
export type Interaction = (
  | { kind: 'button'; data: string; /** The message the button sits on. */ messageId?: string }
  | { kind: 'form'; data: string; text: string }
  | { kind: 'command'; name: string; options: Record<string, string | number | boolean> }
  | { kind: 'autocomplete'; name: string; option: string; value: string }
) & { ack(reply: InteractionReply): Promise<void> };

/** Where a message goes: the channel's top level, or under a task's main message. */
export interface TaskAnchor {
  /** Platform id of the task's main (status) message. */
  messageId: string;
  /** Task id and title, for naming a Discord thread or a topic. */
  taskId: string;
  title: string;
}

export interface OutgoingMessage {
  /** Optional first line shown emphasised (bold). Plain text. */
  heading?: string;
  /** Plain text body. The core keeps `heading + text` within `limits.maxTextLength`. */
  text: string;
  /** Post under this task message (Discord: in its thread, created on first use; Telegram: as a reply). */
  under?: TaskAnchor;
  /** Reply to a specific platform message (a person's command), at the top level or in the anchor. */
  replyToMessageId?: string;
  /** Agent speaking. An adapter with that agent's own bot token sends as that bot; otherwise it shows the name. */
  speaker?: string;
  /**
   * Idempotency key, at most 25 characters, stable across retries of the same outbox row.
   * Discord sends it as a nonce with enforce_nonce; others may ignore it.
   */
  nonce: string;
  /** A file to attach (long output, artifacts). */
  attachment?: { fileName: string; content: Buffer };
  /**
   * Buttons under the message (a task's main message). Adapters without buttons ignore them or show
   * `command` hints. An `edit` shows exactly the actions it names: none when omitted (as Telegram
   * does with an edit that names no keyboard).
   */
  actions?: MessageAction[];
  /** A prompt for text: the platform opens the reply box on it where it can (Telegram ForceReply). */
  promptsReply?: { placeholder: string };
}

/** What an edit may change. */
export type MessageEdit = Pick<OutgoingMessage, 'heading' | 'text' | 'actions'>;

export interface SentMessage {
  messageId: string;
  /** The thread or topic the message landed in, when the platform has one. */
  threadId?: string;
}

export interface ChatLimits {
  /** Longest plain text the adapter accepts in one message (Discord 2000, Telegram 4096). */
  maxTextLength: number;
  /** Largest attachment in bytes. */
  maxAttachmentBytes: number;
}

/** Receives every incoming message; the orchestrator dedupes by messageId, so repeats are harmless. */
export type MessageHandler = (message: IncomingMessage) => Promise<void>;

/** Small durable key-value store the ledger lends to adapters (e.g. Discord's last-seen message id). */
export interface CursorStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

/**
 * Keeps the ledger's checkpoint (its newest event number and hash) in the channel, outside the
 * ledger file: one message the swarm's own account posted and pinned, edited as the ledger grows.
 * `chat-swarm audit --channel` reads it back.
 */
export interface CheckpointBoard {
  /**
   * Shows `text` in the checkpoint message: edits `previous` when it still exists, else posts the
   * text and pins it without notifying anyone. Returns the message that holds it now. When a new
   * message cannot be pinned it is removed again and the call throws, so no unpinned copy is left.
   */
  publish(text: string, previous?: SentMessage): Promise<SentMessage>;
  /**
   * Texts of the pinned messages the swarm's own account posted, newest pin first (empty when
   * none). Needs no `start`: audit reads it over a channel it never starts (call `stop` after).
   */
  read(): Promise<string[]>;
}

export interface ChatPort {
  readonly platform: string;
  readonly limits: ChatLimits;
  /**
   * The chat this port posts to, as `platform:id` (a Telegram group's chat id, a Discord channel's
   * id). Message ids name messages of one chat only (Telegram numbers them per chat), so when it
   * changes the swarm stops editing what it posted before (`OutboxStore.adoptDestination`).
   * Undefined where messages are not kept (the console).
   */
  readonly destination?: string;
  /**
   * Connects and starts delivering messages to `onMessage`. Resolves once connected. Messages that
   * arrived while the swarm was down are delivered too where the platform allows it (Telegram:
   * pending updates; Discord: history after the last seen message).
   */
  start(onMessage: MessageHandler): Promise<void>;
  /** Disconnects and releases every socket and timer. Idempotent. */
  stop(): Promise<void>;
  /** Posts a message. Throws ChatError (permanent or transient, with retryAfterMs on a 429). */
  send(message: OutgoingMessage): Promise<SentMessage>;
  /** Replaces the text of a message the swarm posted. Editing to identical text succeeds. */
  edit?(target: SentMessage, message: MessageEdit): Promise<void>;
  /** Closes the details area of a finished task (Discord: archives the thread). */
  closeDetails?(anchor: TaskAnchor): Promise<void>;
  /** The pinned checkpoint message, where the platform can pin (or, on the console, a file). */
  readonly checkpoint?: CheckpointBoard;
  /**
   * Downloads an attachment of an incoming message. Refuses (permanent ChatError) a file larger
   * than `maxBytes` before reading all of it.
   */
  download?(attachment: IncomingAttachment, maxBytes: number): Promise<Buffer>;
}
