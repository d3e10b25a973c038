import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/commands/command-grammar.ts';
import type { Command, ParseResult } from '../../src/commands/command-types.ts';
import { commandList, usageFor } from '../../src/commands/command-usage.ts';

function ok(text: string): Command {
  const result = parseCommand(text);
  if (result.kind !== 'ok')
    throw new Error(`expected ok for ${JSON.stringify(text)}, got ${JSON.stringify(result)}`);
  return result.command;
}

function error(text: string): Extract<ParseResult, { kind: 'error' }> {
  const result = parseCommand(text);
  if (result.kind !== 'error') {
    throw new Error(`expected error for ${JSON.stringify(text)}, got ${JSON.stringify(result)}`);
  }
  return result;
}

describe('what counts as a command', () => {
  it.each([
    '',
    '   ',
    'hello there',
    'please /cancel T-3',
    '/',
    '/ 123',
    '/123',
    '//',
    '// a comment',
    '/usr/bin/env node',
    '/home/me',
    '/😀',
    '/cancel-all',
    '!!!',
    '!',
    '!important note',
    '!xyz T-3',
    'https://example.com/status',
    `/${'a'.repeat(33)}`,
    'x'.repeat(30_000),
  ])('%j is ordinary chat', (text) => {
    expect(parseCommand(text)).toEqual({ kind: 'none' });
  });

  it('reports an unknown word after a slash with the list of commands', () => {
    expect(parseCommand('/xyz T-3')).toEqual({
      kind: 'error',
      message: 'unknown command /xyz',
      usage: commandList(),
    });
  });

  it('keeps the bot name of an unknown command so an adapter can tell whose it is', () => {
    expect(parseCommand('/start2@other_bot')).toMatchObject({ kind: 'error', addressedTo: 'other_bot' });
  });

  it.each([
    ['/status', { name: 'status' }],
    ['!status', { name: 'status' }],
    ['/STATUS', { name: 'status' }],
    ['  \n /Status  \n', { name: 'status' }],
    ['/status?', { name: 'status' }],
    ['/help.', { name: 'help' }],
    ['/start', { name: 'help' }],
    ['/new Fix it', { name: 'task', title: 'Fix it' }],
    ['/create Fix it', { name: 'task', title: 'Fix it' }],
  ])('%j is a command', (text, expected) => {
    expect(ok(text)).toMatchObject(expected);
  });

  it('strips @botname and exposes it on ok and error results', () => {
    expect(parseCommand('/cancel@orchestrator_bot T-3')).toEqual({
      kind: 'ok',
      command: { name: 'cancel', taskId: 'T-3' },
      addressedTo: 'orchestrator_bot',
    });
    expect(parseCommand('/retry@Orchestrator_Bot')).toMatchObject({
      kind: 'error',
      command: 'retry',
      addressedTo: 'Orchestrator_Bot',
    });
    expect(parseCommand('/status')).not.toHaveProperty('addressedTo');
  });

  it('refuses an over-long command with a clear error, but still recognises the command', () => {
    const result = error(`/note T-3 ${'x'.repeat(20_000)}`);
    expect(result.message).toBe(
      'the message is 20010 characters; a command may be at most 20000 (attach long text as a file)',
    );
    expect(result.command).toBe('note');
    expect(result.usage).toBe(usageFor('note'));
  });

  it('accepts a command of exactly the maximum length', () => {
    const text = `/note T-3 ${'x'.repeat(20_000 - 10)}`;
    expect(text).toHaveLength(20_000);
    expect(ok(text)).toMatchObject({ name: 'note', taskId: 'T-3' });
  });
});

describe('task ids and agent ids', () => {
  it.each([
    ['T-3', 'T-3'],
    ['t-3', 'T-3'],
    ['3', 'T-3'],
    ['#3', 'T-3'],
    ['T-007', 'T-7'],
    ['ORA-001', 'ORA-001'],
    ['ora-001', 'ora-001'],
    ['release.v2_final', 'release.v2_final'],
  ])('%s names task %s', (typed, id) => {
    expect(ok(`/retry ${typed}`)).toEqual({ name: 'retry', taskId: id });
  });

  it.each(['T-0', '0', 'T-3!', 'a/b', 'x'.repeat(65), 'T—'.repeat(3) + '?'])(
    '%s is not a task id',
    (typed) => {
      expect(error(`/retry ${typed}`).message).toMatch(
        /^a task is named like T-12, 12 or a key like ORA-001, got '/,
      );
    },
  );

  it.each([
    ['designer-001', 'designer-001'],
    ['Designer-001', 'designer-001'],
    ['@coder_2', 'coder_2'],
    ['7up', '7up'],
  ])('%s names agent %s', (typed, id) => {
    expect(ok(`/assign T-1 ${typed}`)).toEqual({ name: 'assign', taskId: 'T-1', agentId: id });
  });

  it.each(['-lead', '_x', 'bob.smith', 'a'.repeat(65)])('%s is not an agent id', (typed) => {
    expect(error(`/assign T-1 ${typed}`).message).toMatch(/^an agent id is letters, digits/);
  });
});

describe('commands with a task and options', () => {
  it.each<[string, Command]>([
    ['/cancel T-3', { name: 'cancel', taskId: 'T-3' }],
    ['/cancel T-3 duplicate of T-2', { name: 'cancel', taskId: 'T-3', reason: 'duplicate of T-2' }],
    ['/cancel 4\nnot needed\nany more', { name: 'cancel', taskId: 'T-4', reason: 'not needed\nany more' }],
    ['/retry T-9', { name: 'retry', taskId: 'T-9' }],
    ['/approve ORA-1', { name: 'approve', taskId: 'ORA-1' }],
    ['/assign T-3 designer-001', { name: 'assign', taskId: 'T-3', agentId: 'designer-001' }],
    ['/assign T-3 to designer-001', { name: 'assign', taskId: 'T-3', agentId: 'designer-001' }],
    ['/priority T-3 0', { name: 'priority', taskId: 'T-3', priority: 0 }],
    ['/priority 3 to 9', { name: 'priority', taskId: 'T-3', priority: 9 }],
    ['/pause', { name: 'pause' }],
    ['/pause all', { name: 'pause' }],
    ['/pause designer-001', { name: 'pause', agentId: 'designer-001' }],
    ['/resume', { name: 'resume' }],
    ['/resume Coder', { name: 'resume', agentId: 'coder' }],
    ['/reject T-3 add tests', { name: 'reject', taskId: 'T-3', feedback: 'add tests' }],
    ['/reject T-3 "add tests"', { name: 'reject', taskId: 'T-3', feedback: 'add tests' }],
    [
      '/reject T-3\n- add tests\n- fix lint',
      { name: 'reject', taskId: 'T-3', feedback: '- add tests\n- fix lint' },
    ],
    ['/note T-3 use the “staging” db', { name: 'note', taskId: 'T-3', text: 'use the “staging” db' }],
    ['/answer T-5 yes, keep the old API', { name: 'answer', taskId: 'T-5', text: 'yes, keep the old API' }],
    ['/status', { name: 'status' }],
    ['/status t-12', { name: 'status', taskId: 'T-12' }],
    ['/agents', { name: 'agents' }],
    ['/help', { name: 'help' }],
    ['/help cancel', { name: 'help', topic: 'cancel' }],
    ['/help /NEW', { name: 'help', topic: 'task' }],
  ])('%j', (text, expected) => {
    expect(ok(text)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['/cancel', 'missing the task (like T-12)'],
    ['/retry', 'missing the task (like T-12)'],
    ['/retry T-3 T-4', "unexpected 'T-4': /retry takes nothing more"],
    ['/approve T-3 looks good', "unexpected 'looks': /approve takes nothing more"],
    ['/assign T-3', 'missing the agent id (like designer-001)'],
    ['/assign T-3 a b', "unexpected 'b': /assign takes nothing more"],
    ['/priority T-3', 'missing the priority (0 to 9)'],
    ['/priority T-3 high', "priority must be a whole number from 0 to 9, got 'high'"],
    ['/priority T-3 10', "priority must be a whole number from 0 to 9, got '10'"],
    ['/priority T-3 -1', "priority must be a whole number from 0 to 9, got '-1'"],
    ['/priority T-3 2.5', "priority must be a whole number from 0 to 9, got '2.5'"],
    ['/pause a b', "unexpected 'b': /pause takes nothing more"],
    ['/reject T-3', 'reject needs feedback saying what to change'],
    ['/reject T-3 ""', 'reject needs feedback saying what to change'],
    ['/reject', 'missing the task (like T-12)'],
    ['/note T-3', 'missing the note text'],
    ['/answer T-3   ', 'missing the answer text'],
    ['/status T-3 T-4', "unexpected 'T-4': /status takes nothing more"],
    ['/agents now', "unexpected 'now': /agents takes nothing more"],
    ['/help me please', "unexpected 'please': /help takes nothing more"],
    ['/help xyz', "there is no command 'xyz'"],
  ])('%j is refused: %s', (text, message) => {
    const result = error(text);
    expect(result.message).toBe(message);
    expect(result.command).toBeDefined();
    expect(result.usage).toBe(usageFor(result.command!));
  });

  it('shortens a long bad value in the message', () => {
    const message = error(`/priority T-3 ${'z'.repeat(500)}`).message;
    expect(message).toBe(`priority must be a whole number from 0 to 9, got '${'z'.repeat(39)}…'`);
  });
});

describe('phone and paste quirks', () => {
  it('reads non-breaking spaces, CRLF and tabs as ordinary separators', () => {
    expect(ok('/assign\u00A0T-3\tto\u202Fdesigner-001\r\n')).toEqual({
      name: 'assign',
      taskId: 'T-3',
      agentId: 'designer-001',
    });
    expect(ok('/reject T-3 one\r\ntwo\rthree')).toEqual({
      name: 'reject',
      taskId: 'T-3',
      feedback: 'one\ntwo\nthree',
    });
  });

  it('ignores invisible characters a keyboard or a paste leaves behind', () => {
    expect(ok('\uFEFF/status\u200B T-\u200B3')).toEqual({ name: 'status', taskId: 'T-3' });
  });

  it('treats smart quotes as quotes around free text', () => {
    expect(ok('/note T-3 “use staging”')).toEqual({ name: 'note', taskId: 'T-3', text: 'use staging' });
  });

  it('survives control characters and lone surrogates', () => {
    expect(ok('/note T-3 a\u0000b\u0007c \uD800 d')).toEqual({
      name: 'note',
      taskId: 'T-3',
      text: 'abc \uFFFD d',
    });
    expect(parseCommand('\uDC00/status')).toEqual({ kind: 'none' });
  });

  it('does not treat a non-string as a command', () => {
    expect(parseCommand(undefined as unknown as string)).toEqual({ kind: 'none' });
    expect(parseCommand(42 as unknown as string)).toEqual({ kind: 'none' });
  });
});
