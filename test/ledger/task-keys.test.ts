import { describe, expect, it } from 'vitest';
import { createMemoryChannel } from '../../src/chat/memory-channel.ts';
import { parseCommand } from '../../src/commands/command-grammar.ts';
import { LedgerError } from '../../src/core/errors.ts';
import { TASK_KEY_RULE } from '../../src/core/task-key.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';
import { tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const ESCAPES = ['../x', '..', 'a/b', '.', '.hidden', '-x', 'a..b', '../../etc/cron.d/x', 'x'.repeat(65)];

describe('task keys', () => {
  it('the ledger refuses keys outside the rule, for every caller (CLI, chat, library)', () => {
    const ledger = tempLedger();
    for (const key of ESCAPES) {
      let err: unknown;
      try {
        ledger.createTask({ title: 'escape', key }, 'lib');
      } catch (e) {
        err = e;
      }
      expect(err, key).toBeInstanceOf(LedgerError);
      expect((err as LedgerError).code, key).toBe('bad_key');
      expect((err as LedgerError).message, key).toContain(TASK_KEY_RULE);
    }
    expect(() => ledger.createTask({ title: 'x', key: '12' }, 'lib')).toThrow(/automatic task id/);
    expect(ledger.listTasks()).toEqual([]);
    expect(ledger.createTask({ title: 'fine', key: 'ORA-001.v2_b' }, 'lib').task.id).toBe('ORA-001.v2_b');
  });

  it('the command grammar refuses them with the rule', () => {
    for (const key of ESCAPES) {
      const parsed = parseCommand(`/task Escape key=${key}`);
      expect(parsed.kind, key).toBe('error');
      if (parsed.kind === 'error') expect(parsed.message, key).toContain(TASK_KEY_RULE);
    }
  });

  it('a person typing key=../x in the channel gets the rule back and no task', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = createTestOrchestrator(ledger, port);
    await orch.start();
    try {
      const id = port.postAsHuman('/task Escape key=../x', { authorId: 'alice', name: 'alice' });
      const reply = await waitFor('the refusal', () =>
        port.transcript().find((m) => m.replyToMessageId === id),
      );
      expect(reply.text).toContain(TASK_KEY_RULE);
      expect(ledger.listTasks()).toEqual([]);
    } finally {
      await orch.stop();
    }
  });
});
