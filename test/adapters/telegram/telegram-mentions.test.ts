/**
 * Text the swarm posts comes from people and workers; on Telegram, `@username` in it would notify
 * that member. Through the real grammY channel and the fake's mention detection: nothing the
 * channel sends pings anyone, and a raw `@alice` in the same group does (the control).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeAccount } from '../../fakes/telegram/fake-telegram-world.ts';
import { createTelegramFixture, type TelegramFixture } from './telegram-fixture.ts';

let fx: TelegramFixture;
let bob: FakeAccount;
let nonce = 0;
const n = (): string => `m-${++nonce}`;

afterEach(async () => {
  await fx.close();
  expect(fx.fake.stats().unknownCalls).toEqual([]);
});

async function setUp(): Promise<void> {
  fx = await createTelegramFixture();
  bob = fx.fake.addUser('Bob', 'bob_b');
  fx.fake.setMemberStatus(fx.chat.id, bob.id, 'member');
}

const HOSTILE = [
  '@alice please look',
  'cc (@alice), @Bob_B and @reviewer_bot!',
  `<a href="tg://user?id=ALICE">Alice</a>`,
  'mail alice@example.com or @alice.',
].join('\n');

describe('telegram channel: mentions', () => {
  it('the control: the fake notifies members named by a raw @username', async () => {
    await setUp();
    fx.fake.postAsUser(fx.chat.id, bob.id, 'hey @alice');
    expect(fx.fake.mentions(fx.chat.id)).toMatchObject([{ userId: fx.alice.id, fromId: bob.id }]);
  });

  it('sends text, headings and speaker labels that read the same but notify no one', async () => {
    await setUp();
    const port = fx.channel();
    const hostile = HOSTILE.replace('ALICE', String(fx.alice.id));
    await port.send({ heading: 'T-1 for @alice', text: hostile, nonce: n() });
    await port.send({ speaker: '@alice', text: hostile, nonce: n() });
    const main = await port.send({ heading: 'T-2 queued', text: 'waiting', nonce: n() });
    await port.edit(main, { heading: 'T-2 claimed by @alice', text: `now ${hostile}` });
    await port.send({
      heading: 'T-3 done @alice',
      text: '@alice here is the file',
      attachment: { fileName: 'out.txt', content: Buffer.from('@alice in a file') },
      under: { messageId: main.messageId, taskId: 'T-2', title: 't' },
      nonce: n(),
    });
    expect(fx.fake.mentions(fx.chat.id)).toEqual([]);
    const lines = fx.fake.transcript(fx.chat.id).filter((l) => l.isBot);
    expect(lines.flatMap((l) => l.entities).filter((e) => /mention/.test(e.type))).toEqual([]);
    // People read exactly the text that was sent (the joiners are invisible), email link included.
    const first = lines[0]!.text.replaceAll('\u2060', '');
    expect(first).toBe(`T-1 for @alice\n${hostile}`);
    expect(lines[0]!.text).toContain('alice@example.com');
    expect(lines[2]!.text.replaceAll('\u2060', '')).toBe(`T-2 claimed by @alice\nnow ${hostile}`);
    expect(lines[3]!.document!.content.toString()).toBe('@alice in a file');
  });

  it('keeps long split text and document captions free of mentions', async () => {
    await setUp();
    const port = fx.channel({ documentThreshold: 9_000 });
    const text = Array.from({ length: 450 }, (_, i) => `${i} @alice x@alice`).join(' ');
    expect(text.length).toBeGreaterThan(4_096);
    expect(text.length).toBeLessThan(9_000);
    await port.send({ heading: '@alice', text, nonce: n() });
    await port.send({ heading: 'T-9 @alice', text: `@alice ${'z'.repeat(10_000)}`, nonce: n() });
    const lines = fx.fake.transcript(fx.chat.id).filter((l) => l.isBot);
    expect(lines.filter((l) => l.document === undefined).length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)!.document?.fileName).toBe('message.txt');
    expect(fx.fake.mentions(fx.chat.id)).toEqual([]);
  });
});
