import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { fakeIo } from './cli-process.ts';

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

const COMMANDS = [
  'up',
  'agent',
  'task',
  'pause',
  'resume',
  'status',
  'audit',
  'export',
  'prune',
  'init',
  'doctor',
  'demo',
  'where',
  'version',
  'help',
];
const TASK_COMMANDS = [
  'add',
  'wait',
  'list',
  'show',
  'artifacts',
  'answer',
  'approve',
  'reject',
  'note',
  'assign',
  'priority',
  'cancel',
  'retry',
];

describe('chat-swarm version and help', () => {
  it('answers version, --version and -V through main with the package version', async () => {
    for (const arg of ['version', '--version', '-V']) {
      const r = fakeIo();
      expect(await main([arg], r.io)).toBe(0);
      expect(r.out).toEqual([`chat-swarm ${version}`]);
    }
  });

  it('help lists every command and every task command, with the exit codes', async () => {
    const r = fakeIo();
    expect(await main(['help'], r.io)).toBe(0);
    const help = r.stdout();
    for (const cmd of COMMANDS) expect(help, cmd).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    for (const sub of TASK_COMMANDS) expect(help, sub).toMatch(new RegExp(`\\b${sub}\\b`));
    expect(help).toMatch(/4 cancelled, 5 timed out waiting, 6 needs a person/);
  });

  it('every command has its own usage: <command> --help and help <command>, exit 0', async () => {
    for (const cmd of COMMANDS) {
      const r = fakeIo();
      expect(await main([cmd, '--help'], r.io), cmd).toBe(0);
      expect(r.stdout()).toMatch(new RegExp(`chat-swarm ${cmd}`));
      const h = fakeIo();
      expect(await main(['help', cmd], h.io)).toBe(0);
      expect(h.stdout()).toBe(r.stdout());
    }
    const task = fakeIo();
    await main(['task', '--help'], task.io);
    for (const sub of TASK_COMMANDS) expect(task.stdout(), sub).toContain(`chat-swarm task ${sub}`);
  });

  it('no command: the list and exit 2; an unknown one: the list and exit 2', async () => {
    const none = fakeIo();
    expect(await main([], none.io)).toBe(2);
    expect(none.stdout()).toMatch(/usage: chat-swarm <command>/);
    const unknown = fakeIo();
    expect(await main(['frob'], unknown.io)).toBe(2);
    expect(unknown.stderr()).toMatch(/unknown command 'frob'/);
  });
});
