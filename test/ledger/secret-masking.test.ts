import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { createShellWorker } from '../../src/agents/shell-worker.ts';
import { createMemoryChannel } from '../../src/chat/memory-channel.ts';
import { LedgerError } from '../../src/core/errors.ts';
import { createLogger } from '../../src/core/logger.ts';
import { SecretMasker, type NamedSecret } from '../../src/core/secret-masker.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

/** A configured token that has no token shape: only masking by value can catch it. */
const BOT_VALUE = 'plain-secret-value-4242';
/** A token-shaped string nobody configured: only the shapes can catch it. */
const SHAPED = `7123456789:AAHdqTcvCH1vGWJx${'fS'.repeat(10)}w1`;
const SECRETS: NamedSecret[] = [{ name: 'TELEGRAM_BOT_TOKEN', value: BOT_VALUE }];
const leak = `value ${BOT_VALUE} and ${SHAPED}`;

/** Every row of every table, as text: nothing in the file may hold a secret. */
function dumpLedger(ledger: Ledger): string {
  const tables = ledger.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
    name: string;
  }[];
  return tables.map((t) => JSON.stringify(ledger.db.prepare(`SELECT * FROM "${t.name}"`).all())).join('\n');
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(BOT_VALUE);
  expect(text).not.toContain(SHAPED);
  expect(text).not.toContain('AAHdqTcvCH1vGWJx');
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

describe('ledger secret masking', () => {
  it('masks every free-text input of the write methods before it reaches a row, an event or the outbox', () => {
    const ledger = tempLedger({ secrets: SECRETS });
    ledger.setChannels(['main']);
    const { task } = ledger.createTask({ title: `title ${leak}`, body: `body ${leak}`, review: true }, 'cli');
    const claim = (): { taskId: string; attempt: number; agentId: string } => {
      const c = ledger.claimTask(task.id, { id: 'a1', skills: [] });
      if (c.kind !== 'claimed') throw new Error(`not claimed: ${c.kind}`);
      return { taskId: task.id, attempt: c.attempt, agentId: 'a1' };
    };
    let ref = claim();
    expect(ledger.progress(ref, 10, `progress ${leak}`).ok).toBe(true);
    expect(ledger.ask(ref, `question ${leak}`).ok).toBe(true);
    ledger.answer(task.id, `answer ${leak}`, 'alice');
    const answer = ledger.takeAnswer(ref);
    expect(answer).toMatchObject({
      ok: true,
      answer: 'answer value [masked TELEGRAM_BOT_TOKEN] and [masked token]',
    });
    const named = {
      name: `${BOT_VALUE}.txt`,
      path: `/tmp/${BOT_VALUE}.txt`,
      bytes: 1,
      sha256: 'ab'.repeat(32),
    };
    expect(ledger.complete(ref, `result ${leak}`, [named], [`notice ${leak}`]).ok).toBe(true);
    // The artifact named after the token is not attached at all, and the reason is said.
    expect(JSON.stringify(ledger.events())).toContain('not attached: the file name holds a secret');
    ledger.reject(task.id, `feedback ${leak}`, 'alice');
    ref = claim();
    expect(ledger.fail(ref, `error ${leak}`).ok).toBe(true);
    ledger.retry(task.id, 'alice');
    ref = claim();
    expect(ledger.release(ref, `reason ${leak}`).ok).toBe(true);
    ledger.addNote(task.id, `note ${leak}`, 'alice');
    ledger.cancel(task.id, 'alice', `cancel ${leak}`);

    const dump = dumpLedger(ledger);
    expectNoSecret(dump);
    expectNoSecret(JSON.stringify(ledger.events()));
    expectNoSecret(JSON.stringify(ledger.getTask(task.id)));
    // Each input was kept, masked, not dropped.
    for (const what of [
      'title',
      'body',
      'progress',
      'question',
      'answer',
      'result',
      'feedback',
      'error',
      'reason',
      'note',
      'cancel',
    ])
      expect(dump, what).toContain(`${what} value [masked TELEGRAM_BOT_TOKEN] and [masked token]`);
    expect(ledger.audit().problems.filter((p) => p.kind !== 'pending')).toEqual([]);
  });

  it('masks token shapes even when no secret is configured', () => {
    const ledger = tempLedger();
    ledger.createTask({ title: `t ${SHAPED}` }, 'cli');
    expect(ledger.getTask('T-1')!.title).toBe('t [masked token]');
    expect(ledger.mask(`x ${SHAPED}`)).toBe('x [masked token]');
  });

  it('refuses a key that is or holds a secret, without repeating it', () => {
    const ledger = tempLedger({ secrets: [{ name: 'GITHUB_TOKEN', value: 'ghkey-123456789' }] });
    for (const key of ['ghkey-123456789', `ghp_${'A1b2'.repeat(9)}`]) {
      const err = (() => {
        try {
          ledger.createTask({ title: 'x', key }, 'cli');
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(LedgerError);
      expect((err as LedgerError).code).toBe('bad_key');
      expect((err as LedgerError).message).not.toContain(key);
    }
    expect(ledger.listTasks()).toEqual([]);
  });

  it(
    'keeps a worker that prints a token out of the ledger, the channel transcript and the logs',
    { timeout: 60_000 },
    async () => {
      const ledger = tempLedger({ secrets: SECRETS });
      const port = createMemoryChannel();
      let logged = '';
      const stream = new PassThrough();
      stream.on('data', (d: Buffer) => (logged += d.toString()));
      const log = createLogger('debug', stream, 'test', new SecretMasker(SECRETS));
      const orch = new Orchestrator({
        ledger,
        port,
        channel: 'main',
        admins: { userIds: [], roleIds: [], everyone: true },
        log,
      });
      await orch.start();
      stops.push(() => orch.stop());
      // The worker prints the token on every channel of the protocol and on stderr, then fails
      // once (error text), then succeeds (result).
      const marker = `${tempDir()}/failed-once`;
      const command = [
        `echo "::progress 50 at ${leak}"`,
        `echo "::log diagnostic ${leak}"`,
        `echo "${leak}" >&2`,
        `if [ ! -e ${marker} ]; then touch ${marker}; echo "boom ${leak}" >&2; exit 3; fi`,
        `echo "result ${leak}"`,
      ].join('; ');
      const agent = new AgentRuntime(ledger, {
        id: 'leaky',
        skills: [],
        capacity: 1,
        worker: createShellWorker({ command, log, killGraceMs: 200 }),
        workRoot: tempDir(),
        log,
      });
      agent.start();
      stops.push(() => agent.stop());
      port.postAsHuman(`/task Leak it ${BOT_VALUE}\nbody ${leak}`, { authorId: 'alice', name: 'alice' });
      await waitFor('task done', () => ledger.getTask('T-1')?.status === 'done', 30_000);
      expect(await orch.poster.drain(10_000)).toBe(0);

      const transcript = JSON.stringify(port.transcript().filter((m) => m.fromSwarm));
      expect(transcript).toContain('[masked TELEGRAM_BOT_TOKEN]');
      expectNoSecret(transcript);
      expectNoSecret(dumpLedger(ledger)); // the inbox too: it keeps what alice typed, masked
      expectNoSecret(JSON.stringify(ledger.events()));
      expect(ledger.getTask('T-1')!.result).toContain(
        'result value [masked TELEGRAM_BOT_TOKEN] and [masked token]',
      );
      // The diagnostic line did reach the log, masked.
      expect(logged).toContain('diagnostic value [masked TELEGRAM_BOT_TOKEN] and [masked token]');
      expectNoSecret(logged);
    },
  );
});
