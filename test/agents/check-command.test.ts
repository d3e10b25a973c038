import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAgentCommands, commandProblems, programWords } from '../../src/agents/check-command.ts';
import { tempDir } from '../support/temp-ledger.ts';

describe('programWords', () => {
  it.each<[string, string[]]>([
    ['echo hi; sleep 1', ['echo', 'sleep']],
    [
      'cat x >&2; grep y 2>&1 | tee z; wc &> out; date >| f; sleep 1 & wait',
      ['cat', 'grep', 'tee', 'wc', 'date', 'sleep', 'wait'],
    ],
    ['cat a <&3', ['cat']],
    ["'/srv/a b/x.sh' --fast", ['/srv/a b/x.sh']],
    ['FOO=1 BAR="x y" node x.js | tee out && true', ['node', 'tee', 'true']],
    ['my-agent --message "$SWARM_TASK_BODY"', ['my-agent']],
    ['cd ./x && ./y', ['cd']],
    ['make && ./build/out', ['make']],
    ['echo $(date; whoami)', ['echo']],
    ['if true; then foo; fi', []],
    ['for i in 1 2; do echo $i; done', []],
    ['( cd x; ls )', []],
    ['f() { echo; }; f', []],
    ['$HOME/bin/x', []],
    ['~/bin/x', []],
    ['"unterminated', []],
    ['PATH=/opt/bin tool', []],
    ['export PATH=/opt/bin:$PATH; tool', []],
  ])('%j → %j', (command, words) => {
    expect(programWords(command)).toEqual(words);
  });
});

describe('checkAgentCommands', () => {
  const PATH = process.env.PATH;

  it('passes builtins, programs on PATH and executable scripts, and compound commands it cannot see into', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'agents'));
    writeFileSync(join(dir, 'agents', 'ok.sh'), '#!/bin/sh\necho ok\n');
    chmodSync(join(dir, 'agents', 'ok.sh'), 0o755);
    const checks = checkAgentCommands([
      { id: 'a', command: 'echo hi; sleep 1', baseDir: dir, path: PATH },
      { id: 'b', command: './agents/ok.sh --x', baseDir: dir, path: PATH },
      { id: 'c', command: 'for i in 1; do nope-nope; done', baseDir: dir, path: PATH },
      { id: 'd', command: 'cd .. && ./anything', baseDir: dir, path: PATH },
    ]);
    expect(checks.map((c) => c.ok)).toEqual([true, true, true, true]);
    expect(checks[0]?.programs.map((p) => p.detail)).toEqual([
      'shell builtin',
      expect.stringMatching(/sleep$/),
    ]);
    expect(checks[1]?.programs).toEqual([
      { program: join(dir, 'agents', 'ok.sh'), ok: true, detail: join(dir, 'agents', 'ok.sh') },
    ]);
    expect(checkAgentCommands([])).toEqual([]);
  });

  it('names the missing, the not executable, the folder, the relative and the unknown program, with a fix', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'plain.sh'), 'echo no x bit\n');
    chmodSync(join(dir, 'plain.sh'), 0o644);
    const checks = checkAgentCommands([
      { id: 'missing', command: './agents/coder.sh', baseDir: dir, path: PATH },
      { id: 'noexec', command: './plain.sh', baseDir: dir, path: PATH },
      { id: 'folder', command: dir, baseDir: dir, path: PATH },
      { id: 'relative', command: 'agents/coder.sh', baseDir: dir, path: PATH },
      { id: 'unknown', command: 'echo start; no-such-agent-cli --go', baseDir: dir, path: '/usr/bin:/bin' },
    ]);
    expect(checks.every((c) => !c.ok)).toBe(true);
    const problems = commandProblems(checks);
    expect(problems).toEqual([
      `agent missing: ${join(dir, 'agents/coder.sh')} does not exist (command: ./agents/coder.sh); fix: create ${join(dir, 'agents/coder.sh')}, or fix the path in agents[].command (./x is relative to the config file's folder)`,
      `agent noexec: ${join(dir, 'plain.sh')} is not executable (command: ./plain.sh); fix: chmod +x ${join(dir, 'plain.sh')}`,
      `agent folder: ${dir} is not a file (command: ${dir}); fix: point agents[].command at a program, not ${dir}`,
      "agent relative: agents/coder.sh a relative path would be looked up in the task's own folder, where it does not exist (command: agents/coder.sh); fix: write ./agents/coder.sh (relative to the config file's folder) or an absolute path",
      "agent unknown: no-such-agent-cli not found on PATH (/usr/bin:/bin) (command: echo start; no-such-agent-cli --go); fix: install no-such-agent-cli, put its folder on PATH (or in the agent's env.PATH), or write its full path",
    ]);
  });

  it('never runs what it checks', () => {
    const dir = tempDir();
    const marker = join(dir, 'ran');
    const checks = checkAgentCommands([
      { id: 'x', command: `touch ${marker}; "$(touch ${marker})"`, baseDir: dir, path: PATH },
      { id: 'y', command: `'x;touch ${marker}'`, baseDir: dir, path: PATH },
    ]);
    expect(checks).toHaveLength(2);
    expect(() => writeFileSync(join(marker), '', { flag: 'wx' })).not.toThrow();
  });
});
