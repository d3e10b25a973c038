import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, tokenFromEnv } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { tempDir } from '../support/temp-ledger.ts';

describe('config', () => {
  it('fills defaults: console channel, ./swarm.db, full durability', () => {
    const c = parseConfig({}, 'test');
    expect(c.channel.platform).toBe('console');
    expect(c.db).toBe('./swarm.db');
    expect(c.ledger.synchronous).toBe('full');
  });

  it('names the field and the fix when a token is pasted where a variable name belongs', () => {
    let err: unknown;
    try {
      parseConfig(
        { channel: { platform: 'telegram', chatId: -100123, tokenEnv: '7123456789:AAHsecret' } },
        'my.json',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/channel\.tokenEnv/);
    expect(msg).toMatch(/NAME of an environment variable/);
  });

  it('refuses unknown fields, bad ids and duplicate agents', () => {
    expect(() => parseConfig({ chanel: {} }, 't')).toThrow(/chanel/);
    expect(() => parseConfig({ channel: { platform: 'discord', channelId: '12' } }, 't')).toThrow(
      /channelId/,
    );
    expect(() =>
      parseConfig(
        {
          agents: [
            { id: 'a', command: 'x' },
            { id: 'a', command: 'y' },
          ],
        },
        't',
      ),
    ).toThrow(/duplicate agent id 'a'/);
  });

  it('reports a file that is not JSON, and a missing file named explicitly', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ nope');
    expect(() => loadConfig(bad)).toThrow(/not valid JSON/);
    expect(() => loadConfig(join(dir, 'missing.json'))).toThrow(/chat-swarm init/);
  });

  it('explains how to set a missing token variable without showing any token', () => {
    expect(() => tokenFromEnv('TELEGRAM_BOT_TOKEN', 'the Telegram channel', {})).toThrow(
      /export TELEGRAM_BOT_TOKEN=<token>/,
    );
    expect(tokenFromEnv('X_TOKEN', 'x', { X_TOKEN: ' abc ' })).toBe('abc');
  });

  it('says the fix for the usual mistakes: a token in the file, seconds for milliseconds, a bad chat id', () => {
    let message = '';
    try {
      parseConfig(
        { ledger: { leaseMs: '30s' }, channel: { platform: 'telegram', token: '1:x', chatId: 'my group' } },
        't',
      );
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/Tokens never go in the config file/);
    expect(message).toMatch(/milliseconds, like 30000/);
    expect(message).toMatch(/numeric chat id, like -1001234567890/);
  });
});
