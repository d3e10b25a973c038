import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { tempDir } from '../support/temp-ledger.ts';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: { PATH: process.env.PATH } },
    out,
    err,
  };
}

function configWith(dir: string, agents: object[]): string {
  const config = join(dir, 'chat-swarm.json');
  writeFileSync(config, JSON.stringify({ db: './swarm.db', workDir: join(dir, 'work'), agents }));
  return config;
}

describe('agent commands are checked before anything starts', () => {
  it('up refuses a missing script with the agent, the program and the fix, and creates no ledger', async () => {
    const dir = tempDir();
    const config = configWith(dir, [
      { id: 'ok-001', command: 'echo hi; sleep 1' },
      { id: 'coder-001', skills: ['code'], command: './agents/coder.sh' },
    ]);
    const run = io();
    expect(await main(['up', '--config', config], run.io)).toBe(2);
    expect(run.err.join('\n')).toContain(
      `agent coder-001: ${join(dir, 'agents/coder.sh')} does not exist (command: ./agents/coder.sh); fix: create`,
    );
    expect(run.err.join('\n')).not.toContain('ok-001');
    expect(existsSync(join(dir, 'swarm.db'))).toBe(false);
  });

  it('agent refuses a program that is not on PATH', async () => {
    const dir = tempDir();
    const run = io();
    const code = await main(
      ['agent', 'x-001', '--skills', 'a', '--command', 'no-such-agent-cli --go', '--db', join(dir, 's.db')],
      run.io,
    );
    expect(code).toBe(2);
    expect(run.err.join('\n')).toMatch(/agent x-001: no-such-agent-cli not found on PATH .*fix: install/);
  });

  it('doctor lists each agent command as a check and fails on a broken one', async () => {
    const dir = tempDir();
    const config = configWith(dir, [
      { id: 'ok-001', command: 'echo hi; sleep 1' },
      { id: 'coder-001', command: './agents/coder.sh' },
    ]);
    const run = io();
    expect(await main(['doctor', '--config', config], run.io)).toBe(1);
    const text = run.out.join('\n');
    expect(text).toMatch(/✔ agent ok-001 command: runs echo \(shell builtin\), sleep \(\/.*sleep\)/);
    expect(text).toContain(`✘ agent coder-001 command: ${join(dir, 'agents/coder.sh')} does not exist`);
    expect(text).toMatch(/fix: create .*coder\.sh/);
  });
});
