import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { agentSchema } from '../../src/config/config-schema.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { createAgentWorker } from '../../src/presets/agent-worker.ts';
import { worktreeBranch } from '../../src/presets/git-worktree.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Swarm Test',
  GIT_AUTHOR_EMAIL: 'swarm@example.invalid',
  GIT_COMMITTER_NAME: 'Swarm Test',
  GIT_COMMITTER_EMAIL: 'swarm@example.invalid',
};

function makeRepo(): string {
  const repo = tempDir('repo-');
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repo, ...args], { env: { ...process.env, ...GIT_ENV } });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), 'hello\n');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  return repo;
}

const branches = (repo: string): string[] =>
  execFileSync('git', ['-C', repo, 'branch', '--format=%(refname:short)'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

function startAgent(ledger: Ledger, repo: string, command: string): void {
  const agent = agentSchema.parse({ id: 'coder-001', command, worktree: { repo }, env: GIT_ENV });
  const runtime = new AgentRuntime(ledger, {
    id: agent.id,
    skills: [],
    capacity: 1,
    worker: createAgentWorker(agent, { baseDir: tempDir(), withheldEnv: [], log: silentLogger }),
    workRoot: tempDir(),
    log: silentLogger,
  });
  runtime.start();
  stops.push(() => runtime.stop());
}

describe('git worktrees per attempt', () => {
  it('runs each attempt on its own branch in a fresh worktree, keeps a branch with commits and removes the worktree', async () => {
    const repo = makeRepo();
    const ledger = tempLedger();
    ledger.createTask({ title: 'change it', key: 'ORA-001' }, 'alice');
    startAgent(
      ledger,
      repo,
      'echo "$(git rev-parse --abbrev-ref HEAD) $(cat README.md)"; pwd > ../where; echo change >> README.md; git commit -qam "agent change"; echo ok > out.txt; echo "::artifact out.txt"',
    );
    await waitFor('done', () => ledger.getTask('ORA-001')?.status === 'done');
    const result = ledger.getTask('ORA-001')!.result!;
    expect(result).toMatch(/^swarm\/ORA-001-1 hello\n\n\(1 commit\(s\) on branch swarm\/ORA-001-1 of /);
    expect(branches(repo)).toEqual(['main', 'swarm/ORA-001-1']);
    // The worktree is gone; the main checkout was not touched.
    const listed = execFileSync('git', ['-C', repo, 'worktree', 'list', '--porcelain'], { encoding: 'utf8' });
    expect(listed.match(/^worktree /gm)).toHaveLength(1);
    expect(execFileSync('git', ['-C', repo, 'status', '--porcelain'], { encoding: 'utf8' })).toBe('');
    // An artifact written in the worktree was attached (the worktree is inside the attempt folder).
    const done = ledger.events({ taskId: 'ORA-001' }).find((e) => e.type === 'task_done')!;
    expect(done.data.artifacts).toMatchObject([{ name: 'out.txt' }]);
  });

  it('does not copy a file reached through a linked folder out of the worktree', async () => {
    const repo = makeRepo();
    const secret = tempDir('outside-');
    writeFileSync(join(secret, 'secret.txt'), 'not yours');
    const ledger = tempLedger();
    ledger.createTask({ title: 'sneaky' }, 'alice');
    startAgent(ledger, repo, `ln -s ${secret} linked; echo "::artifact linked/secret.txt"; echo done`);
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    const done = ledger.events({ taskId: 'T-1' }).find((e) => e.type === 'task_done')!;
    expect(done.data.artifacts).toBeUndefined();
    expect(String(done.data.notices)).toMatch(/linked\/secret\.txt not attached/);
  });

  it('deletes the branch of an attempt that committed nothing', async () => {
    const repo = makeRepo();
    const ledger = tempLedger();
    ledger.createTask({ title: 'look only' }, 'alice');
    startAgent(ledger, repo, 'ls');
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    expect(ledger.getTask('T-1')!.result).toBe('README.md');
    expect(branches(repo)).toEqual(['main']);
  });

  it('fails the attempt with git’s reason when the repository is not one', async () => {
    const notRepo = tempDir();
    const ledger = tempLedger();
    ledger.createTask({ title: 'nowhere', maxAttempts: 1 }, 'alice');
    startAgent(ledger, notRepo, 'echo never');
    await waitFor('failed', () => ledger.getTask('T-1')?.status === 'failed');
    expect(ledger.getTask('T-1')!.lastError).toMatch(
      /^could not make a git worktree of .* on branch swarm\/T-1-1: .*not a git repository/s,
    );
    expect(existsSync(join(notRepo, '.git'))).toBe(false);
  });

  it('names branches after the task, safely for any task id', () => {
    expect(worktreeBranch('T-12', 1)).toBe('swarm/T-12-1');
    expect(worktreeBranch('x.lock', 2)).toBe('swarm/x.lock-2');
    expect(worktreeBranch('ORA-001', 3)).toBe('swarm/ORA-001-3');
  });
});
