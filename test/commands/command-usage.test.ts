import { describe, expect, it } from 'vitest';
import { COMMANDS, commandForWord } from '../../src/commands/command-catalog.ts';
import { parseCommand } from '../../src/commands/command-grammar.ts';
import { COMMAND_NAMES, CommandSchema } from '../../src/commands/command-types.ts';
import { commandList, helpText, usageFor } from '../../src/commands/command-usage.ts';

const STATE_CHANGING = [
  'task',
  'cancel',
  'retry',
  'assign',
  'priority',
  'pause',
  'resume',
  'approve',
  'reject',
  'note',
  'answer',
  'schedule',
];

describe('COMMANDS', () => {
  it('covers exactly the commands of the schema, in help order', () => {
    const schemaNames = CommandSchema.options.map((option) => option.shape.name.value);
    expect([...schemaNames].sort()).toEqual([...COMMAND_NAMES].sort());
    expect(Object.keys(COMMANDS)).toEqual([...COMMAND_NAMES]);
  });

  it('marks every state-changing command, and only those, as admin-only', () => {
    const adminOnly = COMMAND_NAMES.filter((name) => COMMANDS[name].adminOnly);
    expect(adminOnly).toEqual(STATE_CHANGING);
  });

  it.each(COMMAND_NAMES)('/%s has a one-line usage and description, and its example parses', (name) => {
    const info = COMMANDS[name];
    expect(info.name).toBe(name);
    expect(info.usage.startsWith(`/${name}`)).toBe(true);
    expect(info.usage).not.toContain('\n');
    expect(info.description).not.toContain('\n');
    expect(info.description.length).toBeGreaterThan(10);
    const parsed = parseCommand(info.example);
    expect(parsed).toMatchObject({ kind: 'ok', command: { name } });
  });

  it('resolves aliases and any case, and nothing else', () => {
    expect(commandForWord('NEW')).toBe('task');
    expect(commandForWord('create')).toBe('task');
    expect(commandForWord('Start')).toBe('help');
    expect(commandForWord('cancel')).toBe('cancel');
    expect(commandForWord('cancl')).toBeUndefined();
    expect(commandForWord('')).toBeUndefined();
  });
});

describe('help text', () => {
  it('lists every command and fits in one Discord message', () => {
    const text = helpText();
    expect(text.length).toBeLessThanOrEqual(2000);
    for (const name of COMMAND_NAMES) expect(text).toContain(`/${name}`);
    expect(text).toContain('* /cancel');
    expect(text).not.toContain('* /status');
  });

  it.each(COMMAND_NAMES)('help for /%s shows its usage and example within 2000 characters', (name) => {
    const text = helpText(name);
    expect(text.length).toBeLessThanOrEqual(2000);
    expect(text).toContain(COMMANDS[name].usage);
    expect(text).toContain(COMMANDS[name].example);
    expect(text.includes('Admins only.')).toBe(COMMANDS[name].adminOnly);
  });

  it('explains every task option', () => {
    const text = helpText('task');
    for (const option of ['skills=', 'priority=', 'after=', 'review=', 'key=', 'attempts=', 'timeout=']) {
      expect(text).toContain(option);
    }
    expect(text).toContain('/create /new');
  });

  it('gives the usage line and an example for error replies', () => {
    expect(usageFor('cancel')).toBe('/cancel <task> [reason]\nexample: /cancel T-3 duplicate of T-2');
    expect(commandList()).toContain('/answer');
  });
});
