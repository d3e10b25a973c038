/**
 * The Bot API methods the fake answers (all but getUpdates, which needs the HTTP layer for long
 * polling), with the real server's result and error shapes.
 * @see https://core.telegram.org/bots/api#available-methods
 */
import type { FakeAccount, FakeChat, FakeTelegramWorld, StoredMessage } from './fake-telegram-world.ts';
import { HtmlParseError, parseTelegramHtml, type ParsedHtml } from './telegram-html-parser.ts';
import { MarkupError, readReplyMarkup, sameMarkup, type FakeReplyMarkup } from './fake-callbacks.ts';

/** An `{ ok: false }` answer; the HTTP status equals `code`, like the real server's. */
export class ApiFailure extends Error {
  override name = 'ApiFailure';
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
  }
}

export type Params = Record<string, unknown>;

export interface MethodContext {
  world: FakeTelegramWorld;
  bot: FakeAccount;
  params: Params;
  strictAmpersand: boolean;
  /** Throws a 429 ApiFailure when the bot is over its flood limits for this chat, else records the send. */
  spend(chat: FakeChat): void;
  /** Commands set through setMyCommands, keyed by `commandsKey` (bot, scope and language). */
  commands: Map<string, unknown[]>;
}

export type MethodHandler = (ctx: MethodContext) => unknown;

const MAX_TEXT = 4_096;
const MAX_CAPTION = 1_024;

const badRequest = (what: string): ApiFailure => new ApiFailure(400, `Bad Request: ${what}`);

/** A string parameter as the server reads it: numbers are accepted as their decimal text. */
const asText = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';

/** Resolves `chat_id` (number, numeric string or `@username`) to a chat the bot may use. */
function resolveChat(ctx: MethodContext, key = 'chat_id'): FakeChat {
  const raw = ctx.params[key];
  if (raw === undefined || raw === '') throw badRequest('chat_id is empty');
  let chat: FakeChat | undefined;
  if (typeof raw === 'string' && raw.startsWith('@')) {
    const name = raw.slice(1).toLowerCase();
    chat = [...ctx.world.chats.values()].find((c) => c.username?.toLowerCase() === name);
  } else {
    chat = ctx.world.chats.get(Number(raw));
  }
  if (!chat) throw badRequest('chat not found');
  if (chat.migratedTo !== undefined) {
    throw new ApiFailure(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
      migrate_to_chat_id: chat.migratedTo,
    });
  }
  const status = chat.members.get(ctx.bot.id);
  if (status === 'kicked') throw new ApiFailure(403, `Forbidden: bot was kicked from the ${chat.type} chat`);
  if (!ctx.world.isMember(chat, ctx.bot.id))
    throw new ApiFailure(403, `Forbidden: bot is not a member of the ${chat.type} chat`);
  return chat;
}

function parseBody(
  ctx: MethodContext,
  text: string,
  parseMode: unknown,
  max: number,
  what: 'message' | 'caption',
): ParsedHtml {
  let parsed: ParsedHtml = { text, entities: [] };
  const mode = asText(parseMode);
  if (mode !== '') {
    if (mode.toLowerCase() !== 'html') throw badRequest(`unsupported parse_mode ${mode}`);
    try {
      parsed = parseTelegramHtml(text, { strictAmpersand: ctx.strictAmpersand });
    } catch (err) {
      if (err instanceof HtmlParseError) throw badRequest(`can't parse entities: ${err.message}`);
      throw err;
    }
  }
  if (what === 'message' && parsed.text.trim() === '') throw badRequest('message text is empty');
  if (parsed.text.length > max)
    throw badRequest(what === 'message' ? 'message is too long' : 'message caption is too long');
  return parsed;
}

/** Where a new message goes: its thread and the message it replies to. */
function placement(ctx: MethodContext, chat: FakeChat): { threadId?: number; replyTo?: number } {
  const out: { threadId?: number; replyTo?: number } = {};
  const thread = ctx.params.message_thread_id;
  if (thread !== undefined) {
    const threadId = Number(thread);
    const root = chat.messages.get(threadId);
    if (!chat.isForum || root?.service?.forumTopicCreated === undefined)
      throw badRequest('message thread not found');
    out.threadId = threadId;
  }
  const reply = (ctx.params.reply_parameters ?? {}) as {
    message_id?: unknown;
    allow_sending_without_reply?: unknown;
  };
  const replyId = reply.message_id ?? ctx.params.reply_to_message_id;
  if (replyId !== undefined) {
    const target = chat.messages.get(Number(replyId));
    const allowMissing =
      reply.allow_sending_without_reply === true || ctx.params.allow_sending_without_reply === true;
    if (target) out.replyTo = target.messageId;
    else if (!allowMissing) throw badRequest('message to be replied not found');
  }
  return out;
}

/** `reply_markup` of a request, or the 400 the server answers for a bad one. */
function replyMarkupOf(ctx: MethodContext): FakeReplyMarkup | undefined {
  try {
    return readReplyMarkup(ctx.params.reply_markup);
  } catch (err) {
    if (err instanceof MarkupError) throw badRequest(err.message);
    throw err;
  }
}

function sendMessage(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const raw = asText(ctx.params.text);
  const parsed = parseBody(ctx, raw, ctx.params.parse_mode, MAX_TEXT, 'message');
  const where = placement(ctx, chat);
  const replyMarkup = replyMarkupOf(ctx);
  ctx.spend(chat);
  const message = ctx.world.post(chat, {
    fromId: ctx.bot.id,
    text: parsed.text,
    entities: parsed.entities,
    ...(ctx.params.parse_mode === undefined ? {} : { raw, parseMode: asText(ctx.params.parse_mode) }),
    ...(replyMarkup === undefined ? {} : { replyMarkup }),
    ...where,
  });
  return ctx.world.toApiMessage(message);
}

function sendDocument(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const file = ctx.params.document;
  if (!(file instanceof File)) throw badRequest('there is no document in the request');
  const caption = typeof ctx.params.caption === 'string' ? ctx.params.caption : '';
  const parsed =
    caption === ''
      ? { text: '', entities: [] }
      : parseBody(ctx, caption, ctx.params.parse_mode, MAX_CAPTION, 'caption');
  const where = placement(ctx, chat);
  const content = (ctx.params.__files as Map<string, Buffer> | undefined)?.get('document') ?? Buffer.alloc(0);
  if (content.length === 0) throw badRequest('file must be non-empty');
  ctx.spend(chat);
  const message = ctx.world.post(chat, {
    fromId: ctx.bot.id,
    text: parsed.text,
    entities: parsed.entities,
    document: { fileName: file.name, content, ...(file.type === '' ? {} : { mimeType: file.type }) },
    ...(caption === '' ? {} : { raw: caption, parseMode: asText(ctx.params.parse_mode) }),
    ...where,
  });
  return ctx.world.toApiMessage(message);
}

function editMessageText(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const message = chat.messages.get(Number(ctx.params.message_id));
  if (!message) throw badRequest('message to edit not found');
  if (message.fromId !== ctx.bot.id) throw badRequest("message can't be edited");
  if (message.document || message.service) throw badRequest('there is no text in the message to edit');
  const raw = asText(ctx.params.text);
  const parsed = parseBody(ctx, raw, ctx.params.parse_mode, MAX_TEXT, 'message');
  const stored = ctx.world.withMentions(parsed.text, parsed.entities).entities;
  // An edit without reply_markup removes an inline keyboard, as on Telegram.
  const replyMarkup = replyMarkupOf(ctx);
  if (
    parsed.text === message.text &&
    JSON.stringify(stored) === JSON.stringify(message.entities) &&
    sameMarkup(replyMarkup, message.replyMarkup)
  ) {
    throw badRequest(
      'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    );
  }
  ctx.spend(chat);
  applyEdit(ctx, chat, message, parsed, raw);
  setMarkup(message, replyMarkup);
  return ctx.world.toApiMessage(message);
}

function setMarkup(message: StoredMessage, markup: FakeReplyMarkup | undefined): void {
  if (markup?.kind === 'forceReply') throw badRequest('reply markup must be an inline keyboard');
  if (markup === undefined || markup.rows.length === 0) delete message.replyMarkup;
  else message.replyMarkup = markup;
}

/** editMessageReplyMarkup: replaces (or, without reply_markup, removes) a message's inline keyboard. */
function editMessageReplyMarkup(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const message = chat.messages.get(Number(ctx.params.message_id));
  if (!message) throw badRequest('message to edit not found');
  if (message.fromId !== ctx.bot.id) throw badRequest("message can't be edited");
  const replyMarkup = replyMarkupOf(ctx);
  if (sameMarkup(replyMarkup, message.replyMarkup)) {
    throw badRequest(
      'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    );
  }
  ctx.spend(chat);
  setMarkup(message, replyMarkup);
  return ctx.world.toApiMessage(message);
}

function answerCallbackQuery(ctx: MethodContext): unknown {
  try {
    return ctx.world.callbacks.answer(ctx.bot.id, ctx.params);
  } catch (err) {
    if (err instanceof MarkupError) throw badRequest(err.message);
    throw err;
  }
}

function editMessageCaption(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const message = chat.messages.get(Number(ctx.params.message_id));
  if (!message) throw badRequest('message to edit not found');
  if (message.fromId !== ctx.bot.id) throw badRequest("message can't be edited");
  const raw = typeof ctx.params.caption === 'string' ? ctx.params.caption : '';
  const parsed = parseBody(ctx, raw, ctx.params.parse_mode, MAX_CAPTION, 'caption');
  const replyMarkup = replyMarkupOf(ctx);
  if (parsed.text === message.text && sameMarkup(replyMarkup, message.replyMarkup))
    throw badRequest('message is not modified');
  ctx.spend(chat);
  applyEdit(ctx, chat, message, parsed, raw);
  setMarkup(message, replyMarkup);
  return ctx.world.toApiMessage(message);
}

/** Replaces a message's text; mentions in the new text are detected (and notify) like a new message's. */
function applyEdit(
  ctx: MethodContext,
  chat: FakeChat,
  message: StoredMessage,
  parsed: ParsedHtml,
  raw: string,
): void {
  const { entities, mentioned } = ctx.world.withMentions(parsed.text, parsed.entities);
  message.edits.push(message.text);
  message.text = parsed.text;
  message.entities = entities;
  message.raw = raw;
  ctx.world.notifyMentions(chat, message, mentioned, true);
  ctx.world.deliverEdit(chat, message);
}

/** The stored document a file_id names (`doc-<chat>-<message>`), when the bot can see that chat. */
export function documentOf(
  world: FakeTelegramWorld,
  fileId: string,
): { content: Buffer; fileName: string } | undefined {
  const m = /^doc-(-?\d+)-(\d+)$/.exec(fileId);
  if (!m) return undefined;
  const doc = world.chats.get(Number(m[1]))?.messages.get(Number(m[2]))?.document;
  return doc ? { content: doc.content, fileName: doc.fileName } : undefined;
}

/** getFile: the file's path for `/file/bot<token>/<path>`; files over 20 MB are refused, as for bots. */
function getFile(ctx: MethodContext): unknown {
  const fileId = asText(ctx.params.file_id);
  const doc = documentOf(ctx.world, fileId);
  if (!doc) throw badRequest('invalid file_id');
  if (doc.content.length > 20 * 1024 * 1024) throw badRequest('file is too big');
  return {
    file_id: fileId,
    file_unique_id: `u${fileId}`,
    file_size: doc.content.length,
    file_path: `documents/${fileId}`,
  };
}

/** `pinned_message` of getChat: the most recent pinned message by sending date (not by pin time). */
function newestPinned(chat: FakeChat): StoredMessage | undefined {
  let newest: StoredMessage | undefined;
  for (const id of chat.pinned) {
    const m = chat.messages.get(id);
    if (m && (!newest || m.date > newest.date || (m.date === newest.date && m.messageId > newest.messageId)))
      newest = m;
  }
  return newest;
}

function getChat(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const pinned = newestPinned(chat);
  return {
    ...ctx.world.toApiChat(chat),
    accent_color_id: 0,
    max_reaction_count: 11,
    accepted_gift_types: {},
    ...(pinned ? { pinned_message: ctx.world.toApiMessage(pinned) } : {}),
  };
}

/** Whether the bot may pin in the chat: in groups only admins with can_pin_messages (the fake's admins have it). */
function canPin(ctx: MethodContext, chat: FakeChat): boolean {
  const status = chat.members.get(ctx.bot.id);
  return status === 'administrator' || status === 'creator';
}

/**
 * pinChatMessage: adds the message to the chat's pinned list and posts the "pinned" service message;
 * `disable_notification` only silences the notification.
 * @see https://core.telegram.org/bots/api#pinchatmessage
 */
function pinChatMessage(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  if (!canPin(ctx, chat)) throw badRequest('not enough rights to manage pinned messages in the chat');
  const id = Number(ctx.params.message_id);
  const message = chat.messages.get(id);
  if (!message || message.service) throw badRequest('message to pin not found');
  chat.pinned = [...chat.pinned.filter((p) => p !== id), id];
  if (ctx.params.disable_notification !== true) chat.loudPins = (chat.loudPins ?? 0) + 1;
  ctx.world.post(chat, {
    fromId: ctx.bot.id,
    text: '',
    entities: [],
    service: { pinnedMessage: id },
    ...(message.threadId === undefined ? {} : { threadId: message.threadId }),
  });
  return true;
}

/** unpinChatMessage: the given message, or the most recent pinned one when none is given. */
function unpinChatMessage(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  if (!canPin(ctx, chat)) throw badRequest('not enough rights to manage pinned messages in the chat');
  const id =
    ctx.params.message_id === undefined ? newestPinned(chat)?.messageId : Number(ctx.params.message_id);
  chat.pinned = chat.pinned.filter((p) => p !== id);
  return true;
}

/** deleteMessage: a bot deletes its own messages; others' only as an admin. */
function deleteMessage(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const id = Number(ctx.params.message_id);
  const message = chat.messages.get(id);
  if (!message) throw badRequest('message to delete not found');
  if (message.fromId !== ctx.bot.id && !canPin(ctx, chat)) throw badRequest("message can't be deleted");
  chat.messages.delete(id);
  chat.pinned = chat.pinned.filter((p) => p !== id);
  return true;
}

function getChatMember(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const userId = Number(ctx.params.user_id);
  const account = ctx.world.accounts.get(userId);
  if (!account) throw badRequest('user not found');
  const status = chat.members.get(userId) ?? 'left';
  const member: Record<string, unknown> = { status, user: ctx.world.toApiUser(account) };
  if (status === 'administrator') {
    Object.assign(member, {
      can_be_edited: false,
      is_anonymous: false,
      can_manage_chat: true,
      can_delete_messages: true,
      can_restrict_members: true,
      can_promote_members: false,
      can_change_info: true,
      can_invite_users: true,
      can_pin_messages: true,
      can_manage_topics: chat.isForum,
      can_manage_video_chats: false,
      can_post_stories: false,
      can_edit_stories: false,
      can_delete_stories: false,
    });
  }
  return member;
}

const COMMAND_SCOPES = [
  'default',
  'all_private_chats',
  'all_group_chats',
  'all_chat_administrators',
  'chat',
  'chat_administrators',
  'chat_member',
];

/**
 * Where setMyCommands files a list and getMyCommands reads it: the bot, the scope (its chat
 * resolved to the numeric id, so `@name` and the id are one scope) and the language. Like the real
 * server, getMyCommands answers for exactly that scope, with no fallback to wider ones.
 */
function commandsKey(ctx: MethodContext): string {
  const scope = (ctx.params.scope ?? { type: 'default' }) as Record<string, unknown>;
  const type = asText(scope.type);
  if (!COMMAND_SCOPES.includes(type)) throw badRequest('wrong scope type specified');
  const chat = type.startsWith('chat') ? resolveChat({ ...ctx, params: { chat_id: scope.chat_id } }).id : '';
  const user = type === 'chat_member' ? asText(scope.user_id) : '';
  return [ctx.bot.id, type, chat, user, asText(ctx.params.language_code)].join('|');
}

function setMyCommands(ctx: MethodContext): unknown {
  const commands = ctx.params.commands;
  if (!Array.isArray(commands)) throw badRequest('parameter "commands" is required');
  if (commands.length > 100) throw badRequest('too many commands specified');
  for (const c of commands as Array<{ command?: unknown; description?: unknown }>) {
    if (typeof c.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command))
      throw badRequest('BOT_COMMAND_INVALID');
    if (typeof c.description !== 'string' || c.description.length === 0 || c.description.length > 256) {
      throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
    }
  }
  ctx.commands.set(commandsKey(ctx), commands);
  return true;
}

/** Every method the fake answers besides getUpdates, keyed by lower-case name (the API ignores case). */
export const BOT_API_METHODS: Record<string, MethodHandler> = {
  getme: (ctx) => ({
    ...ctx.world.toApiUser(ctx.bot),
    can_join_groups: true,
    can_read_all_group_messages: ctx.bot.privacyMode === false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  }),
  deletewebhook: () => true,
  getwebhookinfo: () => ({ url: '', has_custom_certificate: false, pending_update_count: 0 }),
  sendmessage: sendMessage,
  senddocument: sendDocument,
  editmessagetext: editMessageText,
  editmessagecaption: editMessageCaption,
  editmessagereplymarkup: editMessageReplyMarkup,
  answercallbackquery: answerCallbackQuery,
  getchat: getChat,
  pinchatmessage: pinChatMessage,
  unpinchatmessage: unpinChatMessage,
  deletemessage: deleteMessage,
  getchatmember: getChatMember,
  getfile: getFile,
  setmycommands: setMyCommands,
  getmycommands: (ctx) => ctx.commands.get(commandsKey(ctx)) ?? [],
};
