import { describe, expect, it } from 'vitest';
import {
  MASKED_TOKEN,
  MIN_SECRET_CHARS,
  maskTokenShapes,
  SecretMasker,
  secretsFromEnv,
} from '../../src/core/secret-masker.ts';

// Built at run time so no scanner mistakes a fixture for a leaked credential.
const rep = (s: string, n: number): string => s.repeat(n);
export const SHAPED = {
  telegram: `7123456789:AAHdqTcvCH1vGWJx${rep('fS', 10)}w1`,
  discord: `MTA5ODc2NTQzMjEwOTg3NjU0MzI.GhIjKl.${rep('aB3_', 8)}xyz`,
  jwt: `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${rep('Sfl5', 8)}`,
  openai: `sk-proj-${rep('Ab1', 12)}`,
  anthropic: `sk-ant-api03-${rep('xY9', 15)}`,
  stripe: `sk_live_${rep('4eC3', 6)}`,
  github: `ghp_${rep('A1b2', 9)}`,
  githubFine: `github_pat_11${rep('ABC0', 6)}_${rep('z9Y8', 15)}`,
  gitlab: `glpat-${rep('x1Y-', 5)}`,
  npm: `npm_${rep('a1B2', 9)}`,
  huggingface: `hf_${rep('Qw3', 11)}`,
  slack: `xoxb-1234567890-1234567890123-${rep('AbC', 8)}`,
  aws: `AKIA${rep('IOSF', 4)}`,
  google: `AIza${rep('Sy9', 11)}-Q`,
  pem: `-----BEGIN RSA PRIVATE KEY-----\nMIIEow${rep('IBAAK', 10)}\n-----END RSA PRIVATE KEY-----`,
} as const;

describe('token shapes', () => {
  it.each(Object.entries(SHAPED))('masks a %s token wherever it sits in the text', (_kind, token) => {
    const contexts = [token, `before ${token} after`, `"${token}"`, `KEY=${token}\n`, `(${token}).`];
    for (const text of contexts) {
      const masked = maskTokenShapes(text);
      expect(masked).not.toContain(token);
      expect(masked).toContain(MASKED_TOKEN);
    }
  });

  it('masks a Telegram token glued to the `bot` of its API URL', () => {
    expect(maskTokenShapes(`https://api.telegram.org/bot${SHAPED.telegram}/getMe`)).toBe(
      `https://api.telegram.org/bot${MASKED_TOKEN}/getMe`,
    );
  });

  it('leaves ordinary text alone (few false positives)', () => {
    const ordinary = [
      'task-queue-processing-with-a-very-long-name-1234',
      'desk-1234567890abcdefghijklmnopqr',
      'use sk-learn for the model',
      'sk-some-long-kebab-case-identifier-without-digits',
      'the API key is stored in the environment',
      'at 12:30:45 on 2024-01-01T12:34:56.789Z',
      'request 123e4567-e89b-12d3-a456-426614174000 failed',
      'commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
      'see https://example.com/path?query=1&x=2#frag',
      'T-12 and ORA-001 are done',
      'com.example.orders.OrderProcessingServiceImpl.handle',
      'node_modules/some_package_name/dist/index.min.js',
      'sha256-n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
      'AKIAN is not a key, nor is AKIA123',
      'line 12345: a short remark',
      '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----',
    ];
    for (const text of ordinary) expect(maskTokenShapes(text)).toBe(text);
  });

  it('stays linear on long inputs that almost match', { timeout: 20_000 }, () => {
    const nearMisses = [
      `${'1'.repeat(200_000)}:short`,
      `M${'a'.repeat(200_000)}`,
      `sk-${'a-'.repeat(100_000)}`,
      `${'eyJabcdefghij.'.repeat(20_000)}`,
      'sk-a '.repeat(50_000),
      '123456:'.repeat(40_000),
    ];
    for (const text of nearMisses) expect(maskTokenShapes(text)).toBe(text);
    // Private key blocks cut before their END line are masked to the end of the text.
    expect(maskTokenShapes('-----BEGIN PRIVATE KEY-----\n'.repeat(20_000))).toBe(MASKED_TOKEN);
    expect(maskTokenShapes(`ok -----BEGIN RSA PRIVATE KEY-----${'x'.repeat(200_000)}`)).toBe(
      `ok ${MASKED_TOKEN}`,
    );
  });

  it('masks each private key block and keeps the text around them', () => {
    const text = `a\n${SHAPED.pem}\nb\n${SHAPED.pem.replace(/RSA /g, '')}\nc`;
    expect(maskTokenShapes(text)).toBe(`a\n${MASKED_TOKEN}\nb\n${MASKED_TOKEN}\nc`);
  });
});

describe('SecretMasker', () => {
  it('masks known values by name, longest first, in the spellings a program prints', () => {
    const value = 'p@ss word/with "quotes" 42';
    const masker = new SecretMasker([
      { name: 'OUTER_KEY', value: `${value}-and-more` },
      { name: 'SWARM_AUDIT_KEY', value },
    ]);
    expect(masker.mask(`a ${value} b`)).toBe('a [masked SWARM_AUDIT_KEY] b');
    expect(masker.mask(`${value}-and-more`)).toBe('[masked OUTER_KEY]');
    expect(masker.mask(encodeURIComponent(value))).toBe('[masked SWARM_AUDIT_KEY]');
    expect(masker.mask(JSON.stringify({ k: value }))).toBe('{"k":"[masked SWARM_AUDIT_KEY]"}');
    // A value read from a file with its newline is still found without it.
    expect(new SecretMasker([{ name: 'T', value: `${value}\n` }]).mask(`x ${value}.`)).toBe('x [masked T].');
  });

  it(`does not mask values shorter than ${MIN_SECRET_CHARS} characters (too many false hits)`, () => {
    const masker = new SecretMasker([{ name: 'PIN', value: 'abc' }]);
    expect(masker.knownCount).toBe(0);
    expect(masker.mask('abc abcdef')).toBe('abc abcdef');
  });

  it('masks token shapes even with no known secrets, and labels a known token by its name', () => {
    expect(new SecretMasker().mask(`t=${SHAPED.telegram}`)).toBe(`t=${MASKED_TOKEN}`);
    const named = new SecretMasker([{ name: 'TELEGRAM_BOT_TOKEN', value: SHAPED.telegram }]);
    expect(named.mask(`t=${SHAPED.telegram}`)).toBe('t=[masked TELEGRAM_BOT_TOKEN]');
  });
});

describe('secretsFromEnv', () => {
  it('takes named variables, the defaults and credential-named ones, never locations or empties', () => {
    const env = {
      MY_BOT: 'value-of-my-bot-token',
      TELEGRAM_BOT_TOKEN: 'telegram-value-123',
      SWARM_AUDIT_KEY: 'audit-key-value',
      OPENAI_API_KEY: 'openai-key-value',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-value',
      PASSWORD_STORE_DIR: '/home/me/.password-store',
      GITHUB_TOKEN_FILE: '/run/secrets/gh',
      DISCORD_BOT_TOKEN: '   ',
      HOME: '/home/me',
      PATH: '/usr/bin:/bin',
    };
    const names = secretsFromEnv(env, ['MY_BOT', 'MISSING_ONE'])
      .map((s) => s.name)
      .sort();
    expect(names).toEqual(
      ['AWS_SECRET_ACCESS_KEY', 'MY_BOT', 'OPENAI_API_KEY', 'SWARM_AUDIT_KEY', 'TELEGRAM_BOT_TOKEN'].sort(),
    );
  });
});
