/**
 * Message and thread operations of the fake, shared by the REST routes (bots) and the test API
 * (people): create with validation and nonce deduplication, edit, start and archive threads, and
 * the gateway dispatches each of them causes.
 */
import { apiError, Errors, invalidField, type FakeReply } from './fake-api-error.ts';
import {
  ChannelKind,
  Perm,
  type FakeAttachment,
  type FakeBot,
  type FakeChannel,
  type FakeDiscordState,
  type FakeMessage,
} from './fake-discord-state.ts';
import { toApiChannel, toApiMessage } from './fake-discord-json.ts';
import { Intent, type FakeGateway } from './fake-gateway.ts';
import { readButtons } from './fake-components.ts';
import { deleteMessage, setPinned } from './fake-pins.ts';

export const MAX_CONTENT_LENGTH = 2_000;
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

export interface CreateMessageInput {
  content?: string;
  nonce?: string | number;
  enforce_nonce?: boolean;
  allowed_mentions?: unknown;
  message_reference?: { message_id?: string; fail_if_not_exists?: boolean };
  files?: Array<{ filename: string; content: Buffer }>;
  components?: unknown;
}

export class FakeMessages {
  private readonly nonces = new Map<string, { channelId: string; messageId: string; at: number }>();
  /** Number of creates answered with an earlier message because of a repeated nonce. */
  dedupedByNonce = 0;

  constructor(
    private readonly state: FakeDiscordState,
    private readonly gateway: FakeGateway,
    private readonly options: { now: () => number; nonceWindowMs: number },
  ) {}

  /** Creates a message as `authorId` after Discord's checks; bots' permissions are enforced. */
  create(authorId: string, channelId: string, input: CreateMessageInput, reader?: FakeBot): FakeReply {
    const channel = this.state.channels.get(channelId);
    if (!channel) return Errors.unknownChannel();
    if (!this.state.can(authorId, channelId, Perm.ViewChannel)) return Errors.missingAccess();
    const sendPerm = channel.parentId ? Perm.SendMessagesInThreads : Perm.SendMessages;
    if (!this.state.can(authorId, channelId, sendPerm)) return Errors.missingPermissions();
    const files = input.files ?? [];
    if (files.length > 0 && !this.state.can(authorId, channelId, Perm.AttachFiles))
      return Errors.missingPermissions();
    if (files.some((f) => f.content.length > MAX_ATTACHMENT_BYTES)) return Errors.tooLarge();
    const content = input.content ?? '';
    if (content.length > MAX_CONTENT_LENGTH) {
      return invalidField(
        'content',
        'BASE_TYPE_MAX_LENGTH',
        `Must be ${MAX_CONTENT_LENGTH} or fewer in length.`,
      );
    }
    const buttons = input.components === undefined ? undefined : readButtons(input.components);
    if (buttons && !buttons.ok) return buttons.reply;
    if (content.length === 0 && files.length === 0) return Errors.emptyMessage();
    const nonce = input.nonce === undefined ? null : String(input.nonce);
    if (nonce !== null && nonce.length > 25) {
      return invalidField('nonce', 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
    }
    const now = this.options.now();
    if (nonce !== null && input.enforce_nonce === true) {
      const seen = this.nonces.get(`${authorId}:${nonce}`);
      const earlier =
        seen && now - seen.at < this.options.nonceWindowMs
          ? this.state.findMessage(seen.channelId, seen.messageId)
          : undefined;
      if (earlier) {
        this.dedupedByNonce += 1;
        return { status: 200, body: toApiMessage(this.state, earlier, reader, false) };
      }
    }
    const refId = input.message_reference?.message_id;
    const referenced = refId ? this.state.findMessage(channelId, refId) : undefined;
    if (refId && !referenced && input.message_reference?.fail_if_not_exists !== false) {
      return invalidField('message_reference', 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
    }
    if (channel.archived) this.setArchived(channel, false);
    const message: FakeMessage = {
      id: this.state.nextId(),
      channelId,
      authorId,
      content,
      createdAt: now,
      editedAt: null,
      edits: 0,
      nonce,
      allowedMentions: input.allowed_mentions ?? null,
      attachments: files.map((f): FakeAttachment => ({
        id: this.state.nextId(),
        filename: f.filename,
        size: f.content.length,
        content: f.content,
      })),
      referenceId: referenced ? referenced.id : null,
      hasThread: false,
      ...(buttons?.ok && buttons.value.length > 0 ? { components: buttons.value } : {}),
    };
    if (nonce !== null)
      this.nonces.set(`${authorId}:${nonce}`, { channelId, messageId: message.id, at: now });
    this.store(channel, message);
    this.dispatchMessage('MESSAGE_CREATE', message);
    return { status: 200, body: toApiMessage(this.state, message, reader, false) };
  }

  /** Edits a message its author wrote; MESSAGE_UPDATE goes out even when the text is unchanged. */
  edit(
    authorId: string,
    channelId: string,
    messageId: string,
    input: { content?: string; allowed_mentions?: unknown; components?: unknown },
    reader?: FakeBot,
  ): FakeReply {
    const channel = this.state.channels.get(channelId);
    if (!channel) return Errors.unknownChannel();
    if (!this.state.can(authorId, channelId, Perm.ViewChannel)) return Errors.missingAccess();
    const message = this.state.findMessage(channelId, messageId);
    if (!message) return Errors.unknownMessage();
    if (message.authorId !== authorId) return Errors.notAuthor();
    const parsedButtons = input.components === undefined ? undefined : readButtons(input.components);
    if (parsedButtons && !parsedButtons.ok) return parsedButtons.reply;
    const buttons = parsedButtons?.ok ? parsedButtons.value : undefined;
    if (input.content !== undefined) {
      if (input.content.length > MAX_CONTENT_LENGTH) {
        return invalidField(
          'content',
          'BASE_TYPE_MAX_LENGTH',
          `Must be ${MAX_CONTENT_LENGTH} or fewer in length.`,
        );
      }
      message.content = input.content;
      // New content is parsed for mentions with the edit's own allowed_mentions (defaults when absent).
      message.allowedMentions = input.allowed_mentions ?? null;
    }
    if (buttons !== undefined) {
      // `components: []` removes the buttons; leaving the field out keeps them.
      if (buttons.length > 0) message.components = buttons;
      else delete message.components;
    }
    message.editedAt = this.options.now();
    message.edits += 1;
    this.dispatchMessage('MESSAGE_UPDATE', message);
    return { status: 200, body: toApiMessage(this.state, message, reader, false) };
  }

  /** Starts a public thread on a message; the thread's id is the message's id. */
  startThread(authorId: string, channelId: string, messageId: string, input: { name?: string }): FakeReply {
    const channel = this.state.channels.get(channelId);
    if (!channel || channel.parentId !== null) return Errors.unknownChannel();
    if (!this.state.can(authorId, channelId, Perm.ViewChannel)) return Errors.missingAccess();
    if (!this.state.can(authorId, channelId, Perm.CreatePublicThreads)) return Errors.missingPermissions();
    const message = this.state.findMessage(channelId, messageId);
    if (!message) return Errors.unknownMessage();
    if (message.hasThread) return Errors.threadExists();
    const name = input.name ?? '';
    if (name.length < 1 || name.length > 100) {
      return invalidField('name', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    }
    const thread: FakeChannel = {
      id: message.id,
      name,
      type: ChannelKind.PublicThread,
      parentId: channelId,
      overwrites: [],
      archived: false,
      ownerId: authorId,
      lastMessageId: null,
    };
    message.hasThread = true;
    this.state.channels.set(thread.id, thread);
    this.state.messages.set(thread.id, []);
    this.gateway.dispatch('THREAD_CREATE', (_reader, intents) =>
      intents & Intent.Guilds ? { ...toApiChannel(this.state, thread), newly_created: true } : undefined,
    );
    return { status: 201, body: toApiChannel(this.state, thread) };
  }

  /** Archives or unarchives a thread, with THREAD_UPDATE to the guild's bots. */
  setArchived(thread: FakeChannel, archived: boolean): FakeReply {
    if (thread.parentId === null) return apiError(400, 50024, 'Cannot execute action on this channel type');
    thread.archived = archived;
    this.gateway.dispatch('THREAD_UPDATE', (_reader, intents) =>
      intents & Intent.Guilds ? toApiChannel(this.state, thread) : undefined,
    );
    return { status: 200, body: toApiChannel(this.state, thread) };
  }

  private store(channel: FakeChannel, message: FakeMessage): void {
    const list = this.state.messages.get(channel.id) ?? [];
    list.push(message);
    this.state.messages.set(channel.id, list);
    channel.lastMessageId = message.id;
  }

  /** Pins or unpins a message as `bot` (see fake-pins.ts). */
  setPinned(bot: FakeBot, channelId: string, messageId: string, pinned: boolean): FakeReply {
    return setPinned(this.state, this.gateway, bot, channelId, messageId, pinned, this.options.now());
  }

  /** Deletes a message as `bot` (see fake-pins.ts). */
  delete(bot: FakeBot, channelId: string, messageId: string): FakeReply {
    return deleteMessage(this.state, this.gateway, bot, channelId, messageId);
  }

  private dispatchMessage(t: string, message: FakeMessage): void {
    this.gateway.dispatch(t, (reader, intents) => {
      if (!(intents & Intent.GuildMessages)) return undefined;
      if (!this.state.can(reader.id, message.channelId, Perm.ViewChannel)) return undefined;
      const sees = { ...reader, messageContentAllowed: (intents & Intent.MessageContent) !== 0 };
      return toApiMessage(this.state, message, sees, true);
    });
  }
}
