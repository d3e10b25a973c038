import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryChannel } from '../../src/chat/memory-channel.ts';
import { tempLedger } from '../support/temp-ledger.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

async function swarmWithResult(result: string) {
  const ledger = tempLedger();
  const port = createMemoryChannel({ limits: { maxTextLength: 2000 } });
  const orch = createTestOrchestrator(ledger, port);
  await orch.start();
  stops.push(() => orch.stop());
  ledger.createTask({ title: 'long output' }, 'test');
  const c = ledger.claimNext({ id: 'a', skills: [] });
  if (c.kind !== 'claimed') throw new Error('claim');
  ledger.complete({ taskId: 'T-1', attempt: 1, agentId: 'a' }, result);
  expect(await orch.poster.drain(10_000)).toBe(0);
  return { ledger, port };
}

describe('outbox poster and long text', () => {
  it('splits a result a little over the limit into a few messages under the task', async () => {
    const words = Array.from({ length: 900 }, (_, i) => `w${i}`).join(' ');
    const { port, ledger } = await swarmWithResult(words);
    const parts = port.transcript().filter((m) => m.fromSwarm && m.underMessageId && /w\d+/.test(m.text));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.length).toBeLessThanOrEqual(3);
    for (const p of parts) expect(p.text.length).toBeLessThanOrEqual(2000);
    const joined = parts.map((p) => p.text).join(' ');
    expect(joined).toContain('w0 ');
    expect(joined).toContain('w899');
    expect(ledger.audit().problems).toEqual([]);
  });

  it('attaches a very long result as a file with a preview', async () => {
    const long = 'line of output\n'.repeat(2_000);
    const { port } = await swarmWithResult(long);
    const withFile = port.transcript().find((m) => m.attachment);
    expect(withFile).toBeDefined();
    expect(withFile!.attachment!.content.toString('utf8')).toContain('✅ result:');
    expect(withFile!.attachment!.content.length).toBeGreaterThan(long.length);
    expect(withFile!.text).toMatch(/full text attached/);
  });
});
