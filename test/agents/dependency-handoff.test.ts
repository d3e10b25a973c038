import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { createShellWorker } from '../../src/agents/shell-worker.ts';
import { toDependencyEnv, MAX_DEP_RESULT_ENV_CHARS } from '../../src/agents/shell-task-env.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

function startAgent(ledger: Ledger, id: string, skills: string[], command: string): void {
  const root = tempDir();
  const agent = new AgentRuntime(ledger, {
    id,
    skills,
    capacity: 1,
    worker: createShellWorker({ command }),
    workRoot: join(root, 'tasks'),
    artifactRoot: join(root, 'artifacts'),
    log: silentLogger,
  });
  agent.start();
  stops.push(() => agent.stop());
}

/**
 * A pipeline stage in JavaScript: reads the stdin line and the SWARM_DEP_* variables, says what it
 * saw as its result, and writes an artifact for the next stage.
 */
const STAGE = `
const fs = require('node:fs');
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.once('line', (line) => { rl.close(); process.stdin.destroy(); stage(JSON.parse(line)); });
function stage(input) {
const deps = input.dependencies ?? [];
const seen = deps.map((d) => ({
  id: d.taskId,
  stdinResult: d.result,
  envResult: process.env['SWARM_DEP_' + (deps.indexOf(d) + 1) + '_RESULT'],
  artifacts: d.artifacts.map((a) => ({ name: a.name, text: fs.readFileSync(a.path, 'utf8') })),
}));
const me = process.env.SWARM_TASK_TITLE;
fs.writeFileSync('out-' + me + '.txt', 'made by ' + me);
console.log('::artifact out-' + me + '.txt');
console.log(JSON.stringify({ me, count: process.env.SWARM_DEP_COUNT ?? '0', file: process.env.SWARM_DEPS_FILE ?? null, seen }));
}
`;

describe('hand-off between dependent tasks', () => {
  it('passes A → B → C: each stage gets its dependencies’ results and artifact copies on stdin and in the environment', async () => {
    const ledger = tempLedger();
    const scripts = tempDir();
    writeFileSync(join(scripts, 'stage.cjs'), STAGE);
    ledger.createTask({ title: 'A', key: 'stage-a', skills: ['a'] }, 'test');
    ledger.createTask({ title: 'B', key: 'stage-b', skills: ['b'], dependsOn: ['stage-a'] }, 'test');
    ledger.createTask({ title: 'C', key: 'stage-c', skills: ['c'], dependsOn: ['stage-b'] }, 'test');
    // Three agents, each with its own work folder: nothing is shared but what the swarm hands on.
    for (const s of ['a', 'b', 'c'])
      startAgent(ledger, `agent-${s}`, [s], `node ${join(scripts, 'stage.cjs')}`);

    await waitFor('C done', () => ledger.getTask('stage-c')?.status === 'done', 30_000);
    const a = JSON.parse(ledger.getTask('stage-a')!.result!);
    const b = JSON.parse(ledger.getTask('stage-b')!.result!);
    const c = JSON.parse(ledger.getTask('stage-c')!.result!);
    expect(a).toMatchObject({ me: 'A', count: '0', file: null, seen: [] });
    expect(b).toMatchObject({ me: 'B', count: '1' });
    expect(b.seen).toEqual([
      {
        id: 'stage-a',
        stdinResult: ledger.getTask('stage-a')!.result,
        envResult: ledger.getTask('stage-a')!.result,
        artifacts: [{ name: 'out-A.txt', text: 'made by A' }],
      },
    ]);
    expect(c.seen).toEqual([
      {
        id: 'stage-b',
        stdinResult: ledger.getTask('stage-b')!.result,
        envResult: ledger.getTask('stage-b')!.result,
        artifacts: [{ name: 'out-B.txt', text: 'made by B' }],
      },
    ]);
    // The JSON file inside C's own attempt folder holds the same, and is private.
    const file = JSON.parse(readFileSync(c.file, 'utf8')) as { dependencies: { taskId: string }[] };
    expect(file.dependencies.map((d) => d.taskId)).toEqual(['stage-b']);
    expect(statSync(c.file).mode & 0o777).toBe(0o600);
    // No orchestrator posts here, so only the chain and the rows are checked.
    expect(ledger.audit().problems.filter((p) => p.kind !== 'pending')).toEqual([]);
  });

  it('cuts a long result in the environment and points to the whole text in a file', () => {
    const long = 'x'.repeat(MAX_DEP_RESULT_ENV_CHARS + 50);
    const env = toDependencyEnv({
      workDir: '/w/attempt-1',
      dependencies: [{ taskId: 'T-1', title: 't', result: long, artifacts: [] }],
    });
    expect(env.SWARM_DEP_1_RESULT).toHaveLength(MAX_DEP_RESULT_ENV_CHARS);
    expect(env.SWARM_DEP_1_RESULT!.endsWith('…')).toBe(true);
    expect(env.SWARM_DEP_1_RESULT_FILE).toBe('/w/attempt-1/deps/T-1/result.txt');
    expect(env.SWARM_DEPS_FILE).toBe('/w/attempt-1/deps/deps.json');
  });
});
