import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactSecrets } from '../../src/core/logger.ts';
import { SecretMasker } from '../../src/core/secret-masker.ts';

function capture(): { stream: PassThrough; written: () => string } {
  const stream = new PassThrough();
  let written = '';
  stream.on('data', (d: Buffer) => (written += d.toString()));
  return { stream, written: () => written };
}

describe('logger', () => {
  const telegramToken = `7123456789:AAHdqTcvCH1vGWJx${'fS'.repeat(10)}w1`;
  const discordToken = `MTA5ODc2NTQzMjEwOTg3NjU0MzI.GhIjKl.${'aB3_'.repeat(8)}xyz`;

  it('masks Telegram- and Discord-shaped tokens', () => {
    const text = redactSecrets(`GET https://api/bot${telegramToken}/getMe with ${discordToken}`);
    expect(text).not.toContain(telegramToken);
    expect(text).not.toContain(discordToken);
    expect(text).toBe('GET https://api/bot[masked token]/getMe with [masked token]');
  });

  it('never writes a token in a message or its fields, and honours the level', () => {
    const out = capture();
    const log = createLogger('info', out.stream, 'test');
    log.debug('hidden');
    log.warn(`failed with ${telegramToken}`, { url: `https://x/bot${telegramToken}/sendMessage` });
    expect(out.written()).not.toContain('hidden');
    expect(out.written()).not.toContain(telegramToken);
    expect(out.written()).toMatch(/warn \[test\] failed with \[masked token\]/);
  });

  it('masks the known secrets it is given, by name, in messages and fields', () => {
    const secret = 'not-token-shaped "value" 123';
    const out = capture();
    const log = createLogger(
      'debug',
      out.stream,
      'test',
      new SecretMasker([{ name: 'MY_BOT', value: secret }]),
    );
    log.info(`worker said ${secret}`, { output: `${secret}\n${secret}`, nested: { deep: [secret] } });
    expect(out.written()).not.toContain(secret);
    expect(out.written()).not.toContain('not-token-shaped');
    expect(out.written()).toContain('worker said [masked MY_BOT]');
  });

  it('does not throw on fields JSON cannot hold', () => {
    const out = capture();
    const log = createLogger('info', out.stream, 'test');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => log.info('odd fields', { cycle, big: 10n })).not.toThrow();
    expect(out.written()).toContain('"big":"10"');
  });
});
