import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactSecrets } from '../../src/core/logger.ts';

describe('logger', () => {
  const telegramToken = '7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';
  const discordToken = 'MTA5ODc2NTQzMjEwOTg3NjU0MzI.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';

  it('masks Telegram- and Discord-shaped tokens', () => {
    const text = redactSecrets(`GET https://api/bot${telegramToken}/getMe with ${discordToken}`);
    expect(text).not.toContain(telegramToken);
    expect(text).not.toContain(discordToken);
    expect(text).toContain('[redacted]');
  });

  it('never writes a token in a message or its fields, and honours the level', () => {
    const stream = new PassThrough();
    let written = '';
    stream.on('data', (d: Buffer) => (written += d.toString()));
    const log = createLogger('info', stream, 'test');
    log.debug('hidden');
    log.warn(`failed with ${telegramToken}`, { url: `https://x/bot${telegramToken}/sendMessage` });
    expect(written).not.toContain('hidden');
    expect(written).not.toContain(telegramToken);
    expect(written).toMatch(/warn \[test\] failed with \[redacted\]/);
  });
});
