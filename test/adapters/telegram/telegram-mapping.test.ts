import fc from 'fast-check';
import { GrammyError, HttpError } from 'grammy';
import type { Update } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import {
  escapeHtml,
  neutraliseMentions,
  renderedLength,
  toTelegramCaption,
  toTelegramChunks,
  toTelegramHtml,
} from '../../../adapters/telegram/telegram-format.ts';
import { scrubToken, toChatError } from '../../../adapters/telegram/to-chat-error.ts';
import { toIncomingMessage, type IncomingFilter } from '../../../adapters/telegram/to-incoming-message.ts';
import { detectMentions } from '../../fakes/telegram/mention-detection.ts';
import { parseTelegramHtml } from '../../fakes/telegram/telegram-html-parser.ts';

const TOKEN = '7000000001:AAabcdefghijklmnopqrstuvwxyz0123456';

describe('telegram-format', () => {
  it('escapes every markup character so the server renders the text literally', () => {
    const text = '<b>&amp; a < b > c "q" &#33;';
    expect(escapeHtml(text)).toBe('&lt;b&gt;&amp;amp; a &lt; b &gt; c &quot;q&quot; &amp;#33;');
    expect(parseTelegramHtml(toTelegramHtml({ text })).text).toBe(text);
  });

  it('puts the speaker (italic) and heading (bold) on their own lines', () => {
    const html = toTelegramHtml({ speaker: 'designer<1>', heading: 'T-1 & co', text: 'body' });
    expect(html).toBe('<i>designer&lt;1&gt;</i>\n<b>T-1 &amp; co</b>\nbody');
    const parsed = parseTelegramHtml(html);
    expect(parsed.text).toBe('designer<1>\nT-1 & co\nbody');
    expect(parsed.entities.map((e) => e.type)).toEqual(['italic', 'bold']);
  });

  it('splits long text so each rendered message fits, heading only on the first', () => {
    const text = Array.from({ length: 900 }, (_, i) => `w${i} <&>`).join(' ');
    const chunks = toTelegramChunks({ heading: 'T-9', text }, 1_000);
    expect(chunks.length).toBeGreaterThan(4);
    const rendered = chunks.map((c) => parseTelegramHtml(c).text);
    for (const r of rendered) expect(r.length).toBeLessThanOrEqual(1_000);
    expect(rendered[0]!.startsWith('T-9\n')).toBe(true);
    expect(rendered.slice(1).some((r) => r.includes('T-9'))).toBe(false);
    expect([rendered[0]!.slice(4), ...rendered.slice(1)].join(' ')).toBe(text);
  });

  it('keeps captions within the caption limit and marks the cut', () => {
    const caption = parseTelegramHtml(toTelegramCaption({ heading: 'Output', text: 'x'.repeat(5_000) })).text;
    expect(caption.length).toBe(1_024);
    expect(caption.endsWith('…')).toBe(true);
  });
});

describe('mentions in text sent to Telegram', () => {
  const WJ = '\u2060';
  // Every name counts as existing, so any mention Telegram could make is found.
  const mentionsIn = (html: string): string[] => {
    const parsed = parseTelegramHtml(html);
    return detectMentions(parsed.text, parsed.entities, () => true).map((m) =>
      parsed.text.slice(m.entity.offset, m.entity.offset + m.entity.length),
    );
  };

  it('defuses @username with an invisible word joiner, so the text reads the same', () => {
    expect(neutraliseMentions('ping @alice and (@Bob_B)!')).toBe(`ping @${WJ}alice and (@${WJ}Bob_B)!`);
    expect(neutraliseMentions('@everyone @here')).toBe(`@${WJ}everyone @${WJ}here`);
    expect(neutraliseMentions('é@alice')).toBe(`é@${WJ}alice`);
    expect(mentionsIn(toTelegramHtml({ text: 'ping @alice' }))).toEqual([]);
  });

  it('leaves what Telegram never reads as a mention: emails, /cmd@bot, a lone @', () => {
    for (const text of ['mail bob@example.com', '/status@swarm_bot', 'a @ b', '@-x'])
      expect(neutraliseMentions(text)).toBe(text);
  });

  it('is idempotent, so applying it at every step never adds more', () => {
    const once = neutraliseMentions('@a @bb @ccc');
    expect(neutraliseMentions(once)).toBe(once);
  });

  it('defuses the speaker label and the heading too, and counts the joiners in the length', () => {
    const parts = { speaker: '@alice_bot', heading: 'T-1 for @alice', text: '@alice' };
    expect(mentionsIn(toTelegramHtml(parts))).toEqual([]);
    expect(mentionsIn(toTelegramCaption(parts))).toEqual([]);
    expect(renderedLength(parts)).toBe(parseTelegramHtml(toTelegramHtml(parts)).text.length);
  });

  it('no text, however it is split or cut, gives Telegram a mention (property)', () => {
    const piece = fc.oneof(
      fc.constantFrom('@alice', '@', 'a', ' ', '\n', 'bob@', '_', 'é', '@\u2060', '<', '&', '😀', '(@x1)'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 80 }).map((p) => p.join('')),
        fc.option(fc.array(piece, { maxLength: 8 }).map((p) => p.join(''))),
        fc.integer({ min: 8, max: 120 }),
        (text, heading, limit) => {
          const parts = heading === null ? { text } : { heading, text };
          for (const chunk of toTelegramChunks(parts, limit)) {
            expect(mentionsIn(chunk)).toEqual([]);
            if (heading === null) expect(parseTelegramHtml(chunk).text.length).toBeLessThanOrEqual(limit);
          }
          expect(mentionsIn(toTelegramCaption(parts, limit))).toEqual([]);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('splits long text so each chunk fits even after a hard cut starts one with @name', () => {
    const text = `${'x'.repeat(95)}@alice${'y'.repeat(200)}`;
    const chunks = toTelegramChunks({ text }, 100);
    for (const chunk of chunks) {
      expect(parseTelegramHtml(chunk).text.length).toBeLessThanOrEqual(100);
      expect(mentionsIn(chunk)).toEqual([]);
    }
  });
});

describe('toIncomingMessage', () => {
  const filter: IncomingFilter = { chatId: '-1001', botId: 42, botUsername: 'Swarm_Bot' };
  const update = (message: Record<string, unknown>): Update =>
    ({
      update_id: 1,
      message: {
        message_id: 10,
        date: 1_700_000_000,
        chat: { id: -1001, type: 'supergroup', title: 'S' },
        from: { id: 7, is_bot: false, first_name: 'Alice', last_name: 'Liddell' },
        text: 'hi',
        ...message,
      },
    }) as unknown as Update;

  it('maps a person message with its fields', () => {
    const result = toIncomingMessage(update({}), filter);
    expect(result).toEqual({
      kind: 'message',
      message: {
        platform: 'telegram',
        channelId: '-1001',
        messageId: '10',
        author: { id: '7', name: 'Alice Liddell', isBot: false },
        text: 'hi',
        botUsername: 'Swarm_Bot',
        sentAt: 1_700_000_000_000,
      },
    });
  });

  it('passes commands on as typed, with the bot username the core checks addressed commands against', () => {
    for (const text of ['/status@swarm_bot T-1', '/cancel@other_bot: T-1', '!cancel@other_bot T-2']) {
      expect(toIncomingMessage(update({ text }), filter)).toMatchObject({
        kind: 'message',
        message: { text, botUsername: 'Swarm_Bot' },
      });
    }
  });

  it('ignores other chats, bots, itself, and non-messages', () => {
    expect(toIncomingMessage(update({ chat: { id: -2, type: 'supergroup' } }), filter).kind).toBe('ignored');
    expect(toIncomingMessage(update({ from: { id: 9, is_bot: true, first_name: 'B' } }), filter).kind).toBe(
      'ignored',
    );
    expect(toIncomingMessage(update({ from: { id: 42, is_bot: true, first_name: 'Me' } }), filter).kind).toBe(
      'ignored',
    );
    expect(toIncomingMessage({ update_id: 3 }, filter).kind).toBe('ignored');
  });

  it('carries replies and topics, but not the implicit reply to a topic root', () => {
    const reply = toIncomingMessage(update({ reply_to_message: { message_id: 5 } }), filter);
    expect(reply).toMatchObject({ message: { replyToMessageId: '5' } });
    const inTopic = toIncomingMessage(
      update({
        message_thread_id: 3,
        is_topic_message: true,
        reply_to_message: { message_id: 3, forum_topic_created: { name: 't' } },
      }),
      { ...filter, topicId: 3 },
    );
    expect(inTopic).toMatchObject({ kind: 'message', message: { threadId: '3' } });
    expect(inTopic.kind === 'message' && inTopic.message.replyToMessageId).toBe(undefined);
    expect(toIncomingMessage(update({}), { ...filter, topicId: 3 }).kind).toBe('ignored');
  });

  it('reports a migration service message and matches @username chats', () => {
    expect(toIncomingMessage(update({ migrate_to_chat_id: -1009 }), filter)).toEqual({
      kind: 'migrated',
      toChatId: -1009,
    });
    const named = update({ chat: { id: -1005, type: 'supergroup', username: 'OurSwarm' } });
    expect(toIncomingMessage(named, { ...filter, chatId: '@ourswarm' }).kind).toBe('message');
  });
});

describe('toChatError', () => {
  const grammyError = (code: number, description: string, parameters = {}): GrammyError =>
    new GrammyError(
      'Call failed',
      { ok: false, error_code: code, description, parameters },
      'sendMessage',
      {},
    );

  it('makes 429 transient with retryAfterMs from retry_after', () => {
    const err = toChatError(
      grammyError(429, 'Too Many Requests: retry after 7', { retry_after: 7 }),
      'sendMessage',
    );
    expect(err).toMatchObject({ permanent: false, retryAfterMs: 7_000, platformCode: 429 });
  });

  it('makes 5xx and network errors transient, 400/403/404 permanent with the description', () => {
    expect(toChatError(grammyError(502, 'Bad Gateway'), 'sendMessage').permanent).toBe(false);
    const bad = toChatError(grammyError(400, 'Bad Request: chat not found'), 'sendMessage');
    expect(bad).toMatchObject({ permanent: true, platformCode: 400 });
    expect(bad.message).toContain('Bad Request: chat not found');
    expect(
      toChatError(grammyError(403, 'Forbidden: bot was kicked from the supergroup chat'), 'x').permanent,
    ).toBe(true);
    expect(toChatError(grammyError(404, 'Not Found'), 'x').permanent).toBe(true);
    const inner = Object.assign(new Error(`request to http://127.0.0.1:1/bot${TOKEN}/sendMessage failed`), {
      code: 'ECONNREFUSED',
    });
    const net = toChatError(
      new HttpError("Network request for 'sendMessage' failed!", inner),
      'sendMessage',
      [TOKEN],
    );
    expect(net).toMatchObject({ permanent: false, platformCode: 'ECONNREFUSED' });
    expect(net.cause).toBeUndefined();
  });

  it('never lets the token through', () => {
    const leaky = new Error(`connect failed for http://127.0.0.1:1/bot${TOKEN}/getMe`);
    const err = toChatError(leaky, 'getMe', [TOKEN]);
    expect(JSON.stringify({ m: err.message, s: err.stack })).not.toContain(TOKEN);
    expect(scrubToken(`x ${TOKEN} y`, [])).not.toContain(TOKEN);
    expect(scrubToken('/botabc:def/getMe', [])).toBe('/bot<token>/getMe');
  });
});
