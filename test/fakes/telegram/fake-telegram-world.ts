/**
 * The fake Telegram's state without any HTTP: accounts (people and bots), chats with one message-id
 * counter each, messages with their edits, and each bot's queue of updates, filled by the platform's
 * visibility rules (privacy mode, admin bots, bots never seeing bots or themselves).
 * @see https://core.telegram.org/bots/features#privacy-mode
 */
import { randomBytes } from 'node:crypto';
import { detectMentions } from './mention-detection.ts';
import type { TextEntity } from './telegram-html-parser.ts';
import { FakeCallbacks, toApiReplyMarkup, type FakeReplyMarkup } from './fake-callbacks.ts';

export interface FakeAccount {
  id: number;
  isBot: boolean;
  firstName: string;
  username?: string;
  /** Bots only. */
  token?: string;
  /** Bots only: privacy mode (on by default, like BotFather's). */
  privacyMode?: boolean;
  /**
   * Bots only: Bot-to-Bot Communication Mode (off by default; switched on in @BotFather).
   * @see https://core.telegram.org/api/bots/bot-to-bot
   */
  botToBot?: boolean;
}

export type MemberStatus = 'creator' | 'administrator' | 'member' | 'left' | 'kicked';

export interface StoredMessage {
  messageId: number;
  chatId: number;
  fromId: number;
  /** Seconds since the epoch, like the Bot API's `date`. */
  date: number;
  /** Rendered plain text (text or caption), what a person reads. */
  text: string;
  /** What the sender sent before parsing, when it used a parse mode. */
  raw?: string;
  parseMode?: string;
  entities: TextEntity[];
  replyTo?: number;
  threadId?: number;
  /** Earlier versions of `text`, oldest first. */
  edits: string[];
  document?: { fileName: string; mimeType?: string; content: Buffer };
  /** Bots this message was delivered to: an edit reaches only bots that know the message. */
  deliveredTo?: Set<number>;
  /** Buttons (an inline keyboard) or a ForceReply request, as last sent or edited. */
  replyMarkup?: FakeReplyMarkup;
  /** Service messages: topic creation, group migration and pinning. */
  service?: {
    forumTopicCreated?: string;
    migrateToChatId?: number;
    migrateFromChatId?: number;
    /** "X pinned «…»": the pinned message's id. */
    pinnedMessage?: number;
  };
}

export interface FakeChat {
  id: number;
  type: 'group' | 'supergroup';
  title: string;
  username?: string;
  isForum: boolean;
  members: Map<number, MemberStatus>;
  messages: Map<number, StoredMessage>;
  nextMessageId: number;
  /** Set once a basic group was upgraded; every call naming the old id answers migrate_to_chat_id. */
  migratedTo?: number;
  /** The last bot that posted here: privacy-mode bots get plain `/cmd` only when it was them. */
  lastBotPosterId?: number;
  /** Ids of pinned messages, in the order they were pinned. */
  pinned: number[];
  /** Pins made without `disable_notification`, which notify every member. */
  loudPins?: number;
}

/** A member notified because a message mentioned them (see `mention-detection.ts`). */
export interface MentionNotice {
  chatId: number;
  messageId: number;
  /** Who sent the message. */
  fromId: number;
  /** Who was notified. */
  userId: number;
  /** The mention's kind: `@username` text, or an inline link to `tg://user?id=`. */
  type: 'mention' | 'text_mention';
  /** True when the mention came with an edit rather than a new message. */
  viaEdit: boolean;
}

export interface Update {
  update_id: number;
  message?: Record<string, unknown>;
  edited_message?: Record<string, unknown>;
  callback_query?: Record<string, unknown>;
}

interface BotQueue {
  nextUpdateId: number;
  updates: Update[];
  listeners: Set<() => void>;
}

/** Ids that look like Telegram's: 10-digit accounts, `-100…` supergroups. */
export class FakeTelegramWorld {
  readonly accounts = new Map<number, FakeAccount>();
  readonly chats = new Map<number, FakeChat>();
  /** Every mention notification, in order. */
  readonly mentions: MentionNotice[] = [];
  private readonly queues = new Map<number, BotQueue>();
  private nextAccountId = 7_000_000_001;
  private nextChatSeq = 1_000_000_001;

  /** Button presses and their answers. */
  readonly callbacks: FakeCallbacks;

  constructor(
    private readonly now: () => number,
    callbackAnswerWindowMs = 15_000,
  ) {
    this.callbacks = new FakeCallbacks(this, now, callbackAnswerWindowMs);
  }

  addBot(
    username: string,
    options: { firstName?: string; privacyMode?: boolean; botToBot?: boolean } = {},
  ): FakeAccount {
    const id = this.nextAccountId++;
    const token = `${id}:AA${randomBytes(33).toString('base64url').slice(0, 33)}`;
    const bot: FakeAccount = {
      id,
      isBot: true,
      firstName: options.firstName ?? username,
      username,
      token,
      privacyMode: options.privacyMode ?? true,
      botToBot: options.botToBot ?? false,
    };
    this.accounts.set(id, bot);
    this.queues.set(id, {
      nextUpdateId: 500_000_000 + (id % 1000) * 1000,
      updates: [],
      listeners: new Set(),
    });
    return bot;
  }

  addUser(firstName: string, username?: string): FakeAccount {
    const user: FakeAccount = { id: this.nextAccountId++, isBot: false, firstName };
    if (username !== undefined) user.username = username;
    this.accounts.set(user.id, user);
    return user;
  }

  createChat(
    title: string,
    options: { type?: 'group' | 'supergroup'; isForum?: boolean; username?: string } = {},
  ): FakeChat {
    const type = options.type ?? 'supergroup';
    const seq = this.nextChatSeq++;
    const id = type === 'supergroup' ? -1_000_000_000_000 - seq : -4_000_000_000 - seq;
    const chat: FakeChat = {
      id,
      type,
      title,
      isForum: options.isForum ?? false,
      members: new Map(),
      messages: new Map(),
      nextMessageId: 1,
      pinned: [],
    };
    if (options.username !== undefined) chat.username = options.username;
    this.chats.set(id, chat);
    return chat;
  }

  botByToken(token: string): FakeAccount | undefined {
    for (const account of this.accounts.values())
      if (account.isBot && account.token === token) return account;
    return undefined;
  }

  account(id: number): FakeAccount {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`fake telegram: no account ${id}`);
    return account;
  }

  chat(id: number): FakeChat {
    const chat = this.chats.get(id);
    if (!chat) throw new Error(`fake telegram: no chat ${id}`);
    return chat;
  }

  isMember(chat: FakeChat, accountId: number): boolean {
    const status = chat.members.get(accountId);
    return status === 'creator' || status === 'administrator' || status === 'member';
  }

  accountByUsername(username: string): FakeAccount | undefined {
    const wanted = username.toLowerCase();
    for (const account of this.accounts.values())
      if (account.username?.toLowerCase() === wanted) return account;
    return undefined;
  }

  /**
   * The entities Telegram would store for `text`: the sender's own, plus the mentions it detects
   * (a `tg://user?id=` link becomes a `text_mention`), with the accounts they name.
   */
  withMentions(
    text: string,
    entities: readonly TextEntity[],
  ): { entities: TextEntity[]; mentioned: Array<{ account: FakeAccount; type: MentionNotice['type'] }> } {
    const detected = detectMentions(text, entities, (name) => this.accountByUsername(name) !== undefined);
    if (detected.length === 0) return { entities: [...entities], mentioned: [] };
    const out = entities.filter((e) => !(e.type === 'text_link' && e.url?.startsWith('tg://user?id=')));
    const mentioned: Array<{ account: FakeAccount; type: MentionNotice['type'] }> = [];
    for (const d of detected) {
      const account = 'username' in d ? this.accountByUsername(d.username) : this.accounts.get(d.userId);
      const entity: TextEntity = { ...d.entity };
      if (entity.type === 'text_mention') {
        if (account === undefined) continue;
        entity.user = this.toApiUser(account);
      }
      out.push(entity);
      if (account !== undefined) mentioned.push({ account, type: d.entity.type as MentionNotice['type'] });
    }
    out.sort((a, b) => a.offset - b.offset);
    return { entities: out, mentioned };
  }

  /** Records the notifications a message's mentions cause: members only, never the sender. */
  notifyMentions(
    chat: FakeChat,
    message: StoredMessage,
    mentioned: Array<{ account: FakeAccount; type: MentionNotice['type'] }>,
    viaEdit: boolean,
  ): void {
    for (const { account, type } of mentioned) {
      if (account.id === message.fromId || !this.isMember(chat, account.id)) continue;
      this.mentions.push({
        chatId: chat.id,
        messageId: message.messageId,
        fromId: message.fromId,
        userId: account.id,
        type,
        viaEdit,
      });
    }
  }

  /** Stores a new message, gives it the chat's next id, and queues it for every bot allowed to see it. */
  post(
    chat: FakeChat,
    fields: Omit<StoredMessage, 'messageId' | 'chatId' | 'date' | 'edits'>,
  ): StoredMessage {
    const { entities, mentioned } = this.withMentions(fields.text, fields.entities);
    const message: StoredMessage = {
      ...fields,
      entities,
      messageId: chat.nextMessageId++,
      chatId: chat.id,
      date: Math.floor(this.now() / 1_000),
      edits: [],
    };
    this.notifyMentions(chat, message, mentioned, false);
    // In a forum topic, a message that replies to nothing replies to the topic's first message.
    if (message.threadId !== undefined && message.replyTo === undefined) message.replyTo = message.threadId;
    chat.messages.set(message.messageId, message);
    const from = this.account(message.fromId);
    if (from.isBot) chat.lastBotPosterId = from.id;
    message.deliveredTo = new Set();
    for (const memberId of chat.members.keys()) {
      const bot = this.accounts.get(memberId);
      if (bot?.isBot && this.receives(bot, chat, message)) {
        message.deliveredTo.add(bot.id);
        this.enqueue(bot.id, { message: this.toApiMessage(message) });
      }
    }
    return message;
  }

  /**
   * After an edit: `edited_message` to each bot that knows the message (it was delivered to it) and
   * would still receive it as it reads now.
   * @see https://core.telegram.org/bots/api#update
   */
  deliverEdit(chat: FakeChat, message: StoredMessage): void {
    for (const botId of message.deliveredTo ?? []) {
      const bot = this.accounts.get(botId);
      if (bot && this.receives(bot, chat, message))
        this.enqueue(bot.id, { edited_message: this.toApiMessage(message) });
    }
  }

  /** The platform's visibility rules for a group message. */
  receives(bot: FakeAccount, chat: FakeChat, message: StoredMessage): boolean {
    if (message.fromId === bot.id || !this.isMember(chat, bot.id)) return false;
    if (message.service !== undefined) return true;
    const sender = this.account(message.fromId);
    if (sender.isBot) return this.receivesFromBot(bot, sender, chat, message);
    if (chat.members.get(bot.id) === 'administrator' || bot.privacyMode === false) return true;
    const command = /^\/[A-Za-z0-9_]+(?:@([A-Za-z0-9_]+))?/.exec(message.text);
    if (command) {
      const addressee = command[1];
      if (addressee !== undefined) return addressee.toLowerCase() === bot.username?.toLowerCase();
      if (chat.lastBotPosterId === bot.id) return true;
    }
    const repliedTo = message.replyTo === undefined ? undefined : chat.messages.get(message.replyTo);
    return repliedTo !== undefined && repliedTo.service === undefined && repliedTo.fromId === bot.id;
  }

  /**
   * Bot-to-Bot Communication Mode: a bot gets another bot's group message when the message contains
   * `/command@ThatBot` or is a direct reply to one of its messages, and at least one of the two has
   * the mode on; a bot with the mode on that is an admin or has privacy mode off gets every bot
   * message. Without the mode on either side, bots see no bot messages.
   * @see https://core.telegram.org/api/bots/bot-to-bot
   */
  private receivesFromBot(
    bot: FakeAccount,
    sender: FakeAccount,
    chat: FakeChat,
    message: StoredMessage,
  ): boolean {
    if (bot.botToBot !== true && sender.botToBot !== true) return false;
    const wanted = bot.username?.toLowerCase();
    for (const m of message.text.matchAll(/(?<![A-Za-z0-9_])\/[A-Za-z0-9_]{1,32}@([A-Za-z0-9_]{1,64})/g))
      if (wanted !== undefined && m[1]!.toLowerCase() === wanted) return true;
    const repliedTo = message.replyTo === undefined ? undefined : chat.messages.get(message.replyTo);
    if (repliedTo !== undefined && repliedTo.service === undefined && repliedTo.fromId === bot.id)
      return true;
    if (bot.botToBot !== true) return false;
    return chat.members.get(bot.id) === 'administrator' || bot.privacyMode === false;
  }

  enqueue(botId: number, payload: Omit<Update, 'update_id'>): void {
    const queue = this.queue(botId);
    queue.updates.push({ update_id: queue.nextUpdateId++, ...payload });
    for (const listener of [...queue.listeners]) listener();
  }

  /**
   * Forgets updates below `offset` (they are confirmed) and returns up to `limit` of the rest. With
   * `allowed` (the bot's `allowed_updates`), updates of other types are dropped, as the server does.
   */
  takeUpdates(
    botId: number,
    offset: number | undefined,
    limit: number,
    allowed?: readonly string[],
  ): Update[] {
    const queue = this.queue(botId);
    if (offset !== undefined && offset < 0) queue.updates = queue.updates.slice(offset);
    else if (offset !== undefined) queue.updates = queue.updates.filter((u) => u.update_id >= offset);
    if (allowed !== undefined && allowed.length > 0)
      queue.updates = queue.updates.filter((u) =>
        Object.keys(u).some((k) => k !== 'update_id' && allowed.includes(k)),
      );
    return queue.updates.slice(0, limit);
  }

  pendingUpdates(botId: number): Update[] {
    return [...this.queue(botId).updates];
  }

  dropUpdates(botId: number): void {
    this.queue(botId).updates = [];
  }

  onUpdate(botId: number, listener: () => void): () => void {
    const queue = this.queue(botId);
    queue.listeners.add(listener);
    return () => queue.listeners.delete(listener);
  }

  /** The Bot API `User` object. */
  toApiUser(account: FakeAccount): Record<string, unknown> {
    const user: Record<string, unknown> = {
      id: account.id,
      is_bot: account.isBot,
      first_name: account.firstName,
    };
    if (account.username !== undefined) user.username = account.username;
    return user;
  }

  toApiChat(chat: FakeChat): Record<string, unknown> {
    const out: Record<string, unknown> = { id: chat.id, type: chat.type, title: chat.title };
    if (chat.username !== undefined) out.username = chat.username;
    if (chat.isForum) out.is_forum = true;
    return out;
  }

  /** The Bot API `Message` object; `depth` stops reply chains after one level, like the server. */
  toApiMessage(message: StoredMessage, depth = 0): Record<string, unknown> {
    const chat = this.chat(message.chatId);
    const out: Record<string, unknown> = {
      message_id: message.messageId,
      from: this.toApiUser(this.account(message.fromId)),
      chat: this.toApiChat(chat),
      date: message.date,
    };
    if (message.threadId !== undefined) {
      out.message_thread_id = message.threadId;
      out.is_topic_message = true;
    }
    if (message.edits.length > 0) out.edit_date = message.date;
    if (message.service?.forumTopicCreated !== undefined) {
      out.forum_topic_created = { name: message.service.forumTopicCreated, icon_color: 7_322_096 };
    } else if (message.service?.migrateToChatId !== undefined) {
      out.migrate_to_chat_id = message.service.migrateToChatId;
    } else if (message.service?.migrateFromChatId !== undefined) {
      out.migrate_from_chat_id = message.service.migrateFromChatId;
    } else if (message.service?.pinnedMessage !== undefined) {
      const pinned = chat.messages.get(message.service.pinnedMessage);
      // A deleted message shows as an InaccessibleMessage (date 0).
      out.pinned_message = pinned
        ? this.toApiMessage(pinned, depth + 1)
        : { chat: this.toApiChat(chat), message_id: message.service.pinnedMessage, date: 0 };
    } else if (message.document) {
      out.document = {
        file_id: `doc-${message.chatId}-${message.messageId}`,
        file_unique_id: `u${message.messageId}`,
        file_name: message.document.fileName,
        file_size: message.document.content.length,
        ...(message.document.mimeType === undefined ? {} : { mime_type: message.document.mimeType }),
      };
      if (message.text !== '') out.caption = message.text;
      if (message.entities.length > 0) out.caption_entities = message.entities;
    } else {
      out.text = message.text;
      if (message.entities.length > 0) out.entities = message.entities;
    }
    const repliedTo = message.replyTo === undefined ? undefined : chat.messages.get(message.replyTo);
    if (repliedTo && depth === 0) out.reply_to_message = this.toApiMessage(repliedTo, depth + 1);
    const markup = toApiReplyMarkup(message.replyMarkup);
    if (markup) out.reply_markup = markup;
    return out;
  }

  private queue(botId: number): BotQueue {
    const queue = this.queues.get(botId);
    if (!queue) throw new Error(`fake telegram: ${botId} is not a bot`);
    return queue;
  }
}
