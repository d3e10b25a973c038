import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/commands/command-grammar.ts';
import { toCommandFromOptions } from '../../src/commands/interaction-command.ts';
import { NATIVE_COMMANDS } from '../../src/commands/native-commands.ts';

describe('native commands', () => {
  it('reads /task options into the same command the typed grammar makes', () => {
    const native = toCommandFromOptions('task', {
      title: 'Fix the login page',
      body: 'Safari shows a blank page.',
      skills: 'web, Python',
      priority: 7,
      after: 't-1,#2',
      review: true,
      key: 'ORA-001',
      attempts: 4,
      timeout: '10m',
    });
    const typed = parseCommand(
      '/task Fix the login page skills=web,python priority=7 after=T-1,T-2 review=yes key=ORA-001 attempts=4 timeout=10m\nSafari shows a blank page.',
    );
    expect(typed.kind).toBe('ok');
    expect(native).toEqual({ ok: true, value: typed.kind === 'ok' ? typed.command : undefined });
  });

  it('validates options with the typed grammar’s fields', () => {
    const bad = (name: string, options: Record<string, string | number | boolean>): string => {
      const r = toCommandFromOptions(name, options);
      return r.ok ? 'ok' : r.problem;
    };
    expect(bad('task', { title: '' })).toMatch(/empty/);
    expect(bad('task', { title: 'x', priority: 12 })).toMatch(/priority must be a whole number from 0 to 9/);
    expect(bad('task', { title: 'x', timeout: 'forever' })).toMatch(/timeout must be a duration/);
    expect(bad('task', { title: 'x', key: 'T-12' })).toMatch(/must not look like a task number/);
    expect(bad('task', { title: 'x', key: 'A', after: 'A' })).toMatch(/cannot wait for itself/);
    expect(bad('cancel', { task: '../x' })).toMatch(/a task is named like/);
    expect(bad('reject', { task: 'T-1', feedback: '   ' })).toMatch(/feedback/);
    expect(bad('assign', { task: 'T-1', agent: 'Bad Agent!' })).toMatch(/agent id/);
    expect(bad('task', { title: 'x', colour: 'red' })).toMatch(/has no option 'colour'/);
    expect(bad('rm', {})).toMatch(/unknown command/);
    expect(bad('help', { command: 'nope' })).toMatch(/there is no command/);
  });

  it('reads the other commands', () => {
    expect(toCommandFromOptions('cancel', { task: '3', reason: 'dup' })).toEqual({
      ok: true,
      value: { name: 'cancel', taskId: 'T-3', reason: 'dup' },
    });
    expect(toCommandFromOptions('pause', {})).toEqual({ ok: true, value: { name: 'pause' } });
    expect(toCommandFromOptions('pause', { agent: '@Designer-001' })).toEqual({
      ok: true,
      value: { name: 'pause', agentId: 'designer-001' },
    });
    expect(toCommandFromOptions('priority', { task: 'T-2', priority: 9 })).toEqual({
      ok: true,
      value: { name: 'priority', taskId: 'T-2', priority: 9 },
    });
    expect(toCommandFromOptions('status', {})).toEqual({ ok: true, value: { name: 'status' } });
    expect(toCommandFromOptions('help', { command: '/task' })).toEqual({
      ok: true,
      value: { name: 'help', topic: 'task' },
    });
  });

  it('fits the platforms’ limits: names, descriptions, required options first', () => {
    for (const c of NATIVE_COMMANDS) {
      expect(c.description.length).toBeGreaterThan(0);
      expect(c.description.length).toBeLessThanOrEqual(100);
      let optional = false;
      for (const o of c.options) {
        expect(o.name).toMatch(/^[a-z0-9_-]{1,32}$/);
        expect(o.description.length).toBeLessThanOrEqual(100);
        if (!o.required) optional = true;
        else expect(optional, `${c.name}: required ${o.name} after an optional one`).toBe(false);
      }
    }
  });
});
