/**
 * Inline keyboards and callback queries in the fake Telegram, as the Bot API documents them:
 * `reply_markup` on sendMessage and edits (inline keyboards with `callback_data` of 1–64 bytes, else
 * 400 BUTTON_DATA_INVALID; ForceReply), editMessageReplyMarkup, a person pressing a button (a
 * `callback_query` update for the bot that posted the message), and answerCallbackQuery: the
 * client shows a progress indicator until the bot answers; an answer after the window, or a second
 * one, is refused as "query is too old".
 * @see https://core.telegram.org/bots/api#inlinekeyboardmarkup
 * @see https://core.telegram.org/bots/api#answercallbackquery
 */
import type { FakeAccount, FakeChat, FakeTelegramWorld, StoredMessage } from './fake-telegram-world.ts';

/** One inline button as stored. */
export interface FakeInlineButton {
  text: string;
  callbackData: string;
}

/** What a message carries below its text. */
export type FakeReplyMarkup =
  | { kind: 'inline'; rows: FakeInlineButton[][] }
  | { kind: 'forceReply'; placeholder?: string; selective: boolean };

/** A press of a button, and what became of it. */
export interface FakeCallbackQuery {
  id: string;
  botId: number;
  fromId: number;
  chatId: number;
  messageId: number;
  data: string;
  /** Fake clock ms when pressed. */
  at: number;
  answer?: { text: string; showAlert: boolean; at: number };
}

/** Telegram's limits on inline keyboards. */
export const INLINE_LIMITS = { maxDataBytes: 64, maxButtons: 100, maxTextChars: 64 } as const;

/** A 400 with Telegram's description; the caller maps it to its error type. */
export class MarkupError extends Error {
  override name = 'MarkupError';
}

/** Reads `reply_markup` as the server would (an object, or a JSON string in form bodies). */
export function readReplyMarkup(raw: unknown): FakeReplyMarkup | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      throw new MarkupError("can't parse reply keyboard markup JSON object");
    }
  }
  if (typeof value !== 'object' || value === null) throw new MarkupError('object expected as reply markup');
  const markup = value as Record<string, unknown>;
  if (markup.force_reply === true) {
    const placeholder = markup.input_field_placeholder;
    if (placeholder !== undefined && (typeof placeholder !== 'string' || placeholder.length > 64))
      throw new MarkupError('input field placeholder is too long');
    return {
      kind: 'forceReply',
      selective: markup.selective === true,
      ...(typeof placeholder === 'string' ? { placeholder } : {}),
    };
  }
  if (!Array.isArray(markup.inline_keyboard)) throw new MarkupError('can\'t find field "inline_keyboard"');
  let count = 0;
  const rows = markup.inline_keyboard.map((row: unknown) => {
    if (!Array.isArray(row)) throw new MarkupError('field "inline_keyboard" must be an Array of Arrays');
    return row.map((b: unknown): FakeInlineButton => {
      const button = (typeof b === 'object' && b !== null ? b : {}) as Record<string, unknown>;
      count += 1;
      if (typeof button.text !== 'string' || button.text === '')
        throw new MarkupError('text buttons are unallowed in the inline keyboard');
      const data = button.callback_data;
      if (typeof data !== 'string') throw new MarkupError('BUTTON_TYPE_INVALID');
      const bytes = Buffer.byteLength(data, 'utf8');
      if (bytes < 1 || bytes > INLINE_LIMITS.maxDataBytes) throw new MarkupError('BUTTON_DATA_INVALID');
      return { text: button.text, callbackData: data };
    });
  });
  if (count > INLINE_LIMITS.maxButtons) throw new MarkupError('BUTTONS_TOO_MUCH');
  return { kind: 'inline', rows };
}

/** The `reply_markup` a Message object shows (only inline keyboards are returned). */
export function toApiReplyMarkup(markup: FakeReplyMarkup | undefined): Record<string, unknown> | undefined {
  if (markup?.kind !== 'inline' || markup.rows.length === 0) return undefined;
  return {
    inline_keyboard: markup.rows.map((row) =>
      row.map((b) => ({ text: b.text, callback_data: b.callbackData })),
    ),
  };
}

/** Two markups look the same to a person (for "message is not modified"). */
export function sameMarkup(a: FakeReplyMarkup | undefined, b: FakeReplyMarkup | undefined): boolean {
  return JSON.stringify(toApiReplyMarkup(a) ?? null) === JSON.stringify(toApiReplyMarkup(b) ?? null);
}

/** Pressing buttons and answering presses; lives beside the world and reads its messages. */
export class FakeCallbacks {
  readonly queries = new Map<string, FakeCallbackQuery>();
  private nextId = 4_382_000_000_000_000_000n;

  constructor(
    private readonly world: FakeTelegramWorld,
    private readonly now: () => number,
    /** How long a press waits for its answer before the client gives up (Telegram: a few seconds). */
    readonly answerWindowMs: number,
  ) {}

  /**
   * A person presses a button: the bot that posted the message gets a `callback_query` update.
   * `data` forges what a modified client could send; by default the button's own data is used.
   */
  press(
    chat: FakeChat,
    message: StoredMessage,
    from: FakeAccount,
    button: { text?: string; data?: string },
  ): FakeCallbackQuery {
    if (!this.world.isMember(chat, from.id))
      throw new Error(`fake telegram: ${from.id} is not in chat ${chat.id}`);
    const markup = message.replyMarkup;
    const buttons = markup?.kind === 'inline' ? markup.rows.flat() : [];
    const shown = buttons.find((b) => (button.text === undefined ? true : b.text.includes(button.text)));
    const data = button.data ?? shown?.callbackData;
    if (data === undefined) throw new Error(`fake telegram: message ${message.messageId} has no such button`);
    this.nextId += 1n;
    const query: FakeCallbackQuery = {
      id: this.nextId.toString(),
      botId: message.fromId,
      fromId: from.id,
      chatId: chat.id,
      messageId: message.messageId,
      data,
      at: this.now(),
    };
    this.queries.set(query.id, query);
    this.world.enqueue(message.fromId, {
      callback_query: {
        id: query.id,
        from: this.world.toApiUser(from),
        message: this.world.toApiMessage(message),
        chat_instance: String(-chat.id),
        data,
      },
    });
    return query;
  }

  /** answerCallbackQuery: once per press, within the window; text up to 200 characters. */
  answer(botId: number, params: Record<string, unknown>): true {
    const raw = params.callback_query_id;
    const query = this.queries.get(typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '');
    const tooOld = 'query is too old and response timeout expired or query ID is invalid';
    if (!query || query.botId !== botId || query.answer) throw new MarkupError(tooOld);
    if (this.now() - query.at > this.answerWindowMs) throw new MarkupError(tooOld);
    const text = typeof params.text === 'string' ? params.text : '';
    if (text.length > 200) throw new MarkupError('MESSAGE_TOO_LONG');
    query.answer = { text, showAlert: params.show_alert === true, at: this.now() };
    return true;
  }

  /** Presses nobody answered within the window: the person saw the progress indicator time out. */
  unanswered(): FakeCallbackQuery[] {
    return [...this.queries.values()].filter(
      (q) => q.answer === undefined && this.now() - q.at > this.answerWindowMs,
    );
  }
}
