import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { createShellWorker } from '../../src/agents/shell-worker.ts';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';
import { waitFor } from '../support/wait-for.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

async function startOrchestrator(ledger: Ledger, port: MemoryChannel) {
  const orch = createTestOrchestrator(ledger, port);
  await orch.start();
  stops.push(() => orch.stop());
  return orch;
}

function startShellAgent(ledger: Ledger, command: string) {
  const base = tempDir();
  const agent = new AgentRuntime(ledger, {
    id: 'hostile-1',
    skills: [],
    capacity: 1,
    worker: createShellWorker({ command, killGraceMs: 500 }),
    workRoot: join(base, 'tasks'),
    artifactRoot: join(base, 'artifacts'),
    log: silentLogger,
  });
  agent.start();
  stops.push(() => agent.stop());
  return { agent, base };
}

const swarmText = (port: MemoryChannel): string =>
  port
    .transcript()
    .filter((m) => m.fromSwarm)
    .map((m) => `${m.heading ?? ''}\n${m.text}`)
    .join('\n');

describe('a hostile worker', () => {
  it('gets only its own regular files attached; links, foreign paths and missing files are said plainly', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = await startOrchestrator(ledger, port);
    startShellAgent(
      ledger,
      [
        "printf 'report body' > report.txt",
        'ln -s /etc/passwd passwd',
        'echo "::artifact report.txt"',
        'echo "::artifact passwd"',
        'echo "::artifact /proc/self/environ"',
        'echo "::artifact ../../../escape.txt"',
        'echo "::artifact nothere.txt"',
        'echo finished',
      ].join('\n'),
    );
    ledger.createTask({ title: 'attach things' }, 'test');
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done', 20_000);
    expect(await orch.poster.drain(10_000)).toBe(0);

    const attached = port.transcript().filter((m) => m.attachment);
    expect(attached.map((m) => [m.attachment!.fileName, m.attachment!.content.toString()])).toEqual([
      ['report.txt', 'report body'],
    ]);
    const text = swarmText(port);
    expect(text).toContain('artifact passwd not attached: a symbolic link');
    expect(text).toContain('artifact /proc/self/environ not attached: outside the attempt folder');
    expect(text).toContain('artifact ../../../escape.txt not attached: outside the attempt folder');
    expect(text).toContain('artifact nothere.txt not attached: missing');
    expect(text).not.toMatch(/root:.*:0:0:/);
    expect(JSON.stringify(ledger.events())).not.toMatch(/root:.*:0:0:/);
    expect(ledger.audit().problems).toEqual([]);
  }, 60_000);

  it('is capped at one open question and 10 artifacts when it prints 300 of each, and the channel says so once', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = await startOrchestrator(ledger, port);
    startShellAgent(
      ledger,
      'for i in $(seq 1 300); do echo "n$i" > "f$i.txt"; echo "::ask question $i"; echo "::artifact f$i.txt"; done; echo survived',
    );
    ledger.createTask({ title: 'flood' }, 'test');
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done', 30_000);
    expect(await orch.poster.drain(20_000)).toBe(0);

    const events = ledger.events({ taskId: 'T-1' });
    expect(events.filter((e) => e.type === 'task_asked')).toHaveLength(1);
    const done = events.find((e) => e.type === 'task_done')!;
    expect(done.data.result).toBe('survived');
    expect((done.data.artifacts as unknown[]).length).toBe(10);
    expect(done.data.notices).toEqual([
      'T-1#1: 299 further question(s) (::ask) refused: one open at a time, at most 5 per attempt',
      'T-1#1: 290 further artifact(s) (::artifact) refused: at most 10 per attempt',
    ]);
    expect(port.transcript().filter((m) => m.attachment)).toHaveLength(10);
    const text = swarmText(port);
    expect(text.match(/further question\(s\)/g)).toHaveLength(1);
    expect(text.match(/further artifact\(s\)/g)).toHaveLength(1);
    expect(text.match(/❓/g)).toHaveLength(1);
  }, 60_000);

  it('cannot swap the swarm copy of an artifact before it is posted: a changed or linked copy is not attached', async () => {
    const ledger = tempLedger();
    const dir = tempDir();
    mkdirSync(join(dir, 'copies'));
    const good = join(dir, 'copies', 'good.txt');
    const swapped = join(dir, 'copies', 'swapped.txt');
    const linked = join(dir, 'copies', 'linked.txt');
    for (const p of [good, swapped, linked]) writeFileSync(p, 'checked');
    const sha = createHash('sha256').update('checked').digest('hex');
    ledger.createTask({ title: 'swap' }, 'test');
    const claim = ledger.claimNext({ id: 'a1', skills: [] });
    if (claim.kind !== 'claimed') throw new Error('not claimed');
    const records = [good, swapped, linked].map((path) => ({
      name: path.split('/').pop()!,
      path,
      bytes: 7,
      sha256: sha,
    }));
    ledger.complete({ taskId: 'T-1', attempt: claim.attempt, agentId: 'a1' }, 'result', records);
    writeFileSync(swapped, 'SWAPPED');
    writeFileSync(linked, '');
    const { rmSync } = await import('node:fs');
    rmSync(linked);
    symlinkSync('/etc/passwd', linked);

    const port = createMemoryChannel();
    const orch = await startOrchestrator(ledger, port);
    expect(await orch.poster.drain(10_000)).toBe(0);
    const attached = port.transcript().filter((m) => m.attachment);
    expect(attached.map((m) => m.attachment!.fileName)).toEqual(['good.txt']);
    const text = swarmText(port);
    expect(text).toContain('📎 swapped.txt: not attached (changed since it was checked)');
    expect(text).toContain('📎 linked.txt: not attached (the copy was replaced by a symbolic link)');
  }, 30_000);
});
