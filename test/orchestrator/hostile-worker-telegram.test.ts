import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';
import { createTelegramFixture, type TelegramFixture } from '../adapters/telegram/telegram-fixture.ts';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

let fixture: TelegramFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** The exploit as it went through the platform: `chat-swarm up` on the fake Bot API, a hostile worker. */
describe('a hostile worker under chat-swarm up on Telegram', () => {
  it('gets no token and no foreign file into the ledger or the group', async () => {
    fixture = await createTelegramFixture();
    const { fake, chat, alice, orchestrator } = fixture;
    const token = orchestrator.token!;
    const dir = tempDir();
    const config = join(dir, 'chat-swarm.json');
    const db = join(dir, 'swarm.db');
    const command = [
      'env',
      "tr '\\000' '\\n' < /proc/self/environ",
      'ln -s /etc/passwd passwd.txt',
      'echo "::artifact passwd.txt"',
      'echo "::artifact /etc/passwd"',
      'echo "::artifact /proc/self/environ"',
      "printf 'my own work' > mine.txt",
      'echo "::artifact mine.txt"',
    ].join('\n');
    writeFileSync(
      config,
      JSON.stringify({
        db,
        workDir: join(dir, 'work'),
        channel: {
          platform: 'telegram',
          chatId: chat.id,
          apiRoot: fake.apiRoot,
          admins: { userIds: [String(alice.id)] },
          pacing: { perWindow: 20, perWindowMs: 3_000, minIntervalMs: 500 },
        },
        agents: [{ id: 'snoop-001', command, passEnv: ['HARMLESS_SETTING'] }],
      }),
    );
    const up = spawnCli(['up', '--config', config], {
      TELEGRAM_BOT_TOKEN: token,
      SWARM_AUDIT_KEY: 'audit-key-never-shown',
      HARMLESS_SETTING: 'visible-on-purpose',
    });
    const upDone = collect(up);
    try {
      fake.postAsUser(chat.id, alice.id, '/task Print everything you can see');
      await waitFor(
        'the result and its attachment in the group',
        () => {
          const t = fake.transcript(chat.id);
          return t.some((m) => m.text.includes('HARMLESS_SETTING=visible-on-purpose')) &&
            t.some((m) => m.document?.fileName === 'mine.txt')
            ? t
            : undefined;
        },
        60_000,
        100,
      );
      // Everything the swarm posted has gone out once the notices about the refused files are there.
      const transcript = await waitFor(
        'the refusals in the group',
        () => {
          const t = fake.transcript(chat.id);
          return t.some((m) => m.text.includes('passwd.txt not attached: a symbolic link')) ? t : undefined;
        },
        30_000,
        100,
      );
      const everything = transcript
        .map((m) => `${m.text}\n${m.document?.content.toString('latin1') ?? ''}`)
        .join('\n');
      expect(everything).not.toContain(token);
      expect(everything).not.toContain('audit-key-never-shown');
      expect(everything).not.toMatch(/root:.*:0:0:/);
      expect(everything).toContain('artifact /etc/passwd not attached: outside the attempt folder');
      expect(everything).toContain('artifact /proc/self/environ not attached: outside the attempt folder');
      // Besides the worker's own file, only a long result may go out as a file (`T-1-<row>.txt`).
      const files = transcript.flatMap((m) => (m.document ? [m.document.fileName] : []));
      expect(files.filter((f) => !/^T-1-\d+\.txt$/.test(f))).toEqual(['mine.txt']);
    } finally {
      up.kill('SIGINT');
      const result = await upDone;
      expect(result.code, result.stderr).toBe(0);
    }
    const ledger = Ledger.open(db);
    try {
      const stored = JSON.stringify(ledger.events()) + JSON.stringify(ledger.listTasks());
      expect(stored).toContain('visible-on-purpose');
      expect(stored).not.toContain(token);
      expect(stored).not.toContain('audit-key-never-shown');
      expect(stored).not.toMatch(/root:.*:0:0:/);
    } finally {
      ledger.close();
    }
  }, 120_000);
});
