import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeChannelPermissions,
  INVITE_PERMISSIONS,
} from '../../../adapters/discord/channel-permissions.ts';
import { escapeDiscordMarkdown } from '../../../adapters/discord/discord-escape.ts';
import { partNonce } from '../../../adapters/discord/discord-outbound.ts';
import {
  renderDiscordContent as renderAdapter,
  splitDiscordContent,
} from '../../../adapters/discord/discord-render.ts';
import {
  isFromListenedAuthor,
  toIncomingMessage,
  type RawDiscordMessage,
} from '../../../adapters/discord/to-incoming-message.ts';
import { toChatError } from '../../../adapters/discord/to-chat-error.ts';
import { ChatError } from '../../../src/core/errors.ts';
import { renderDiscordContent as renderSeen } from './render-discord-markdown.ts';

describe('escapeDiscordMarkdown', () => {
  it('escapes inline markup, mention pills and line-start markup', () => {
    expect(escapeDiscordMarkdown('*a* _b_ `c` ~~d~~ ||e|| [f](g) <@1> a\\b')).toBe(
      '\\*a\\* \\_b\\_ \\`c\\` \\~\\~d\\~\\~ \\|\\|e\\|\\| \\[f\\](g) \\<@1> a\\\\b',
    );
    expect(escapeDiscordMarkdown('# h\n- item\n> quote\n1. one\n-# small')).toBe(
      '\\# h\n\\- item\n\\> quote\n1\\. one\n\\-# small',
    );
    expect(escapeDiscordMarkdown('T-3: a-b #2 > 1.5')).toBe('T-3: a-b #2 > 1.5');
  });

  it('always renders back to the text a person typed', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(
            'a',
            ' ',
            '\n',
            '*',
            '_',
            '`',
            '~',
            '|',
            '\\',
            '[',
            ']',
            '(',
            ')',
            '<',
            '@',
            '#',
            '-',
            '>',
            '1',
            '.',
          ),
        }),
        (text) => {
          expect(renderSeen(escapeDiscordMarkdown(text)).text).toBe(text);
        },
      ),
    );
  });
});

describe('renderDiscordContent and splitDiscordContent', () => {
  it('lays out speaker, heading and body', () => {
    expect(renderAdapter({ speaker: 'designer-001', heading: 'T-3 *claimed*', text: 'body' })).toBe(
      '-# designer-001\n**T-3 \\*claimed\\***\nbody',
    );
    expect(renderAdapter({ text: 'only' })).toBe('only');
  });

  it('splits into parts of at most 2000 that join back, heading kept whole in the first', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('a', ' ', '\n', '*', '\\', '-', '#'),
          minLength: 1_500,
          maxLength: 2_000,
        }),
        (text) => {
          const input = { heading: 'T-1 **done**', text };
          const content = renderAdapter(input);
          const parts = splitDiscordContent(content, input);
          expect(parts.every((p) => p.length <= 2_000)).toBe(true);
          expect(parts[0]!.startsWith('**T-1 \\*\\*done\\*\\***\n')).toBe(true);
          const seen = renderSeen(parts.join(''));
          expect(seen.heading).toBe('T-1 **done**');
          expect(seen.text).toBe(text);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('keeps continuation nonces stable and within 25 characters', () => {
    expect(partNonce('outbox-17', 1)).toBe('outbox-17+2');
    expect(partNonce('x'.repeat(25), 2)).toHaveLength(25);
    expect(partNonce('x'.repeat(25), 2)).toBe(partNonce('x'.repeat(25), 2));
  });
});

const raw = (over: Partial<RawDiscordMessage> = {}): RawDiscordMessage => ({
  id: '1573824385674903552',
  channel_id: '1573824385674903000',
  type: 0,
  content: '/status',
  timestamp: '2026-01-02T03:04:05.000Z',
  author: { id: '42', username: 'alice', global_name: 'Alice' },
  member: { roles: ['7'] },
  ...over,
});

describe('toIncomingMessage and isFromListenedAuthor', () => {
  it('maps a thread reply with roles, name and time', () => {
    const m = toIncomingMessage(raw({ type: 19, message_reference: { message_id: '99' } }), {
      channelId: 'C',
      threadId: 'T',
    });
    expect(m).toEqual({
      platform: 'discord',
      channelId: 'C',
      messageId: '1573824385674903552',
      threadId: 'T',
      author: { id: '42', name: 'Alice', isBot: false, roleIds: ['7'] },
      text: '/status',
      replyToMessageId: '99',
      sentAt: Date.parse('2026-01-02T03:04:05.000Z'),
    });
  });

  it('listens to people and remote agents only', () => {
    const rules = { selfId: 'me', remoteAgentBotIds: new Set(['remote']) };
    expect(isFromListenedAuthor(raw(), rules)).toBe(true);
    expect(isFromListenedAuthor(raw({ author: { id: 'me', username: 'o', bot: true } }), rules)).toBe(false);
    expect(isFromListenedAuthor(raw({ author: { id: 'x', username: 'x', bot: true } }), rules)).toBe(false);
    expect(isFromListenedAuthor(raw({ author: { id: 'remote', username: 'r', bot: true } }), rules)).toBe(
      true,
    );
    expect(isFromListenedAuthor(raw({ type: 18 }), rules)).toBe(false);
    expect(isFromListenedAuthor(raw({ webhook_id: 'w' }), rules)).toBe(false);
  });
});

describe('toChatError', () => {
  const request = { body: undefined, files: undefined };
  it('makes 4xx permanent with the code, 429 and 5xx and network transient', () => {
    const perm = toChatError(
      new DiscordAPIError({ code: 50013, message: 'Missing Permissions' }, 50013, 403, 'POST', '/x', request),
      'send message',
    );
    expect(perm).toMatchObject({ permanent: true, platformCode: 50013 });
    expect(perm.message).toMatch(/Missing Permissions/);
    const limited = toChatError(
      new RateLimitError({
        timeToReset: 3_000,
        limit: 5,
        method: 'POST',
        hash: 'h',
        url: '/x',
        route: '/channels/:id/messages',
        majorParameter: '1',
        global: false,
        retryAfter: 3_000,
        sublimitTimeout: 0,
        scope: 'user',
      }),
      'send message',
    );
    expect(limited).toMatchObject({ permanent: false, retryAfterMs: 3_000 });
    expect(toChatError(new HTTPError(502, 'Bad Gateway', 'POST', '/x', request), 'send')).toMatchObject({
      permanent: false,
    });
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    expect(toChatError(refused, 'send')).toMatchObject({ permanent: false, platformCode: 'ECONNREFUSED' });
    const same = new ChatError('x', { permanent: true });
    expect(toChatError(same, 'send')).toBe(same);
  });

  it('scrubs a token that appears in an error message', () => {
    const token = 'abc123-secret-token';
    expect(toChatError(new Error(`bad ${token}`), 'send', [token]).message).not.toContain(token);
  });
});

describe('computeChannelPermissions', () => {
  const base = {
    guildId: 'g',
    ownerId: 'owner',
    userId: 'bot',
    memberRoleIds: ['r'],
    roles: [
      { id: 'g', permissions: String(INVITE_PERMISSIONS) },
      { id: 'r', permissions: '0' },
    ],
  };
  it('applies @everyone, role and member overwrites in order', () => {
    const send = 1n << 11n;
    expect(computeChannelPermissions({ ...base, overwrites: [] }) & send).toBe(send);
    const denied = computeChannelPermissions({
      ...base,
      overwrites: [{ id: 'g', type: 0, allow: '0', deny: String(send) }],
    });
    expect(denied & send).toBe(0n);
    const roleAllows = computeChannelPermissions({
      ...base,
      overwrites: [
        { id: 'g', type: 0, allow: '0', deny: String(send) },
        { id: 'r', type: 0, allow: String(send), deny: '0' },
      ],
    });
    expect(roleAllows & send).toBe(send);
    const memberDenies = computeChannelPermissions({
      ...base,
      overwrites: [
        { id: 'bot', type: 1, allow: '0', deny: String(send) },
        { id: 'r', type: 0, allow: String(send), deny: '0' },
      ],
    });
    expect(memberDenies & send).toBe(0n);
    expect(
      computeChannelPermissions({
        ...base,
        userId: 'owner',
        overwrites: [{ id: 'g', type: 0, allow: '0', deny: String(send) }],
      }) & send,
    ).toBe(send);
  });

  it('computes the invite permission integer', () => {
    expect(INVITE_PERMISSIONS).toBe(2_252_109_051_431_936n);
  });
});
