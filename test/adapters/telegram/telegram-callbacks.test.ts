import { describe, expect, it } from 'vitest';
import type { CallbackQuery } from 'grammy/types';
import {
  toIncomingInteraction,
  toInlineKeyboard,
  toReplyMarkup,
  toToast,
} from '../../../adapters/telegram/telegram-callbacks.ts';
import { actionsFor } from '../../../src/chat/task-actions.ts';
import type { Task } from '../../../src/core/types.ts';

const query = (over: Record<string, unknown> = {}): CallbackQuery => ({
  id: '4382',
  from: { id: 42, is_bot: false, first_name: 'Alice', last_name: 'Liddell' },
  chat_instance: '1',
  data: 'ts1:a:T-1:1',
  message: { message_id: 7, date: 0, chat: { id: -1001, type: 'supergroup', title: 'room' } },
  ...over,
});

describe('telegram buttons', () => {
  it('lays task actions out as an inline keyboard, dropping data Telegram would refuse', () => {
    const actions = actionsFor({ id: 'T-1', status: 'blocked' } as Task, '1');
    expect(toInlineKeyboard(actions)).toEqual({
      inline_keyboard: [
        [
          { text: '💬 Answer', callback_data: 'ts1:q:T-1:1' },
          { text: '🛑 Cancel', callback_data: 'ts1:c:T-1:1' },
        ],
      ],
    });
    expect(toInlineKeyboard([{ ...actions[0]!, data: 'x'.repeat(65) }])).toBeUndefined();
    expect(toInlineKeyboard([])).toBeUndefined();
    expect(
      toReplyMarkup({ text: 'reply', nonce: 'n', promptsReply: { placeholder: 'p'.repeat(80) } }),
    ).toEqual({
      force_reply: true,
      input_field_placeholder: 'p'.repeat(64),
    });
  });

  it('fits a toast in 200 characters on one line', () => {
    const toast = toToast({ ok: false, text: `line one\n${'x'.repeat(300)}` });
    expect([...toast]).toHaveLength(200);
    expect(toast.startsWith('line one x')).toBe(true);
  });

  it('maps a press in the swarm’s chat and ignores presses elsewhere', async () => {
    const ack = async () => undefined;
    const filter = { chatId: '-1001', botUsername: 'swarm_bot' };
    expect(toIncomingInteraction(query(), filter, ack)).toMatchObject({
      platform: 'telegram',
      channelId: '-1001',
      messageId: 'cb:4382',
      author: { id: '42', name: 'Alice Liddell', isBot: false },
      interaction: { kind: 'button', data: 'ts1:a:T-1:1', messageId: '7' },
    });
    expect(toIncomingInteraction(query(), { ...filter, chatId: '-1002' }, ack)).toBeUndefined();
    expect(toIncomingInteraction(query({ data: undefined }), filter, ack)).toBeUndefined();
    expect(toIncomingInteraction(query({ message: undefined }), filter, ack)).toBeUndefined();
    expect(toIncomingInteraction(query(), { ...filter, topicId: 5 }, ack)).toBeUndefined();
  });
});
