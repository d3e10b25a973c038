import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/commands/command-grammar.ts';
import type { TaskCommand } from '../../src/commands/command-types.ts';
import { usageFor } from '../../src/commands/command-usage.ts';

const DEFAULTS: TaskCommand = {
  name: 'task',
  title: '',
  body: '',
  skills: [],
  priority: 5,
  dependsOn: [],
  review: false,
  maxAttempts: 3,
};

function task(text: string): TaskCommand {
  const result = parseCommand(text);
  if (result.kind !== 'ok' || result.command.name !== 'task') {
    throw new Error(`expected a task for ${JSON.stringify(text)}, got ${JSON.stringify(result)}`);
  }
  return result.command;
}

function refusal(text: string): string {
  const result = parseCommand(text);
  if (result.kind !== 'error')
    throw new Error(`expected an error for ${JSON.stringify(text)}, got ${JSON.stringify(result)}`);
  expect(result.command).toBe('task');
  expect(result.usage).toBe(usageFor('task'));
  return result.message;
}

describe('/task', () => {
  it.each<[string, Partial<TaskCommand>]>([
    ['/task Fix the login page', { title: 'Fix the login page' }],
    [
      '/task Fix login skills=web,Python priority=7 after=T-1,2 review=yes key=ORA-001 attempts=5 timeout=10m',
      {
        title: 'Fix login',
        skills: ['web', 'python'],
        priority: 7,
        dependsOn: ['T-1', 'T-2'],
        review: true,
        key: 'ORA-001',
        maxAttempts: 5,
        timeoutMs: 600_000,
      },
    ],
    ['/task priority=1 Fix the login skills:web', { title: 'Fix the login', priority: 1, skills: ['web'] }],
    ['/task "a=b is the title" priority=2', { title: 'a=b is the title', priority: 2 }],
    ['/task Set "x=5" in config', { title: 'Set "x=5" in config' }],
    ['/task See http://example.org/a?b=c now', { title: 'See http://example.org/a?b=c now' }],
    ['/task Note: check a==b and 2+2=4', { title: 'Note: check a==b and 2+2=4' }],
    ['/task Tune the -ish values', { title: 'Tune the -ish values' }],
    ['/task "ratio=2 breaks: the chart"', { title: 'ratio=2 breaks: the chart' }],
    ['/task “Smart quoted” prio=2', { title: 'Smart quoted', priority: 2 }],
    ['/task Fix Bob’s “login” page', { title: 'Fix Bob’s “login” page' }],
    ['/task Make a 12" pizza', { title: 'Make a 12" pizza' }],
    ['/task Review: the docs', { title: 'Review: the docs' }],
    [
      '/task A after=T-1, T-2,3 skills=a, b',
      { title: 'A', dependsOn: ['T-1', 'T-2', 'T-3'], skills: ['a', 'b'] },
    ],
    ['/task A after=3,T-3,t-3', { title: 'A', dependsOn: ['T-3'] }],
    ['/task A skills=web,,web,', { title: 'A', skills: ['web'] }],
    ['/task A --priority=8 —review', { title: 'A', priority: 8, review: true }],
    ['/task A –priority=8 --no-review', { title: 'A', priority: 8, review: false }],
    ['/task A review=off', { title: 'A', review: false }],
    ['/task A deps=ORA-1 tries=1 id=X.2', { title: 'A', dependsOn: ['ORA-1'], maxAttempts: 1, key: 'X.2' }],
    ['/task A timeout=90s', { title: 'A', timeoutMs: 90_000 }],
    ['/task A timeout=90', { title: 'A', timeoutMs: 90_000 }],
    ['/task A timeout=2h', { title: 'A', timeoutMs: 7_200_000 }],
    ['/task A timeout=1h30m', { title: 'A', timeoutMs: 5_400_000 }],
    ['/task A timeout=1.5h', { title: 'A', timeoutMs: 5_400_000 }],
    ['/task A timeout=1s', { title: 'A', timeoutMs: 1_000 }],
    ['/task A timeout=24h', { title: 'A', timeoutMs: 86_400_000 }],
    ['/task A attempts=20 priority=0', { title: 'A', maxAttempts: 20, priority: 0 }],
    [`/task ${'é'.repeat(200)}`, { title: 'é'.repeat(200) }],
    [`/task ${'😀'.repeat(200)}`, { title: '😀'.repeat(200) }],
  ])('%j', (text, fields) => {
    expect(task(text)).toEqual({ ...DEFAULTS, ...fields });
  });

  it('takes the lines after the first as the body', () => {
    expect(task('/task Fix it skills=web\r\n\r\nSteps:\r\n  1. open\r\n  2. click\r\n\r\n')).toEqual({
      ...DEFAULTS,
      title: 'Fix it',
      skills: ['web'],
      body: 'Steps:\n  1. open\n  2. click',
    });
  });

  it('keeps option-looking words in the body as text', () => {
    expect(task('/task Fix it\npriority=9 is what the customer asked')).toMatchObject({
      priority: 5,
      body: 'priority=9 is what the customer asked',
    });
  });

  it('takes the title from the next line when the first has none', () => {
    expect(task('/task priority=2\n\nFix the login skills=web\nDetails here')).toEqual({
      ...DEFAULTS,
      title: 'Fix the login',
      priority: 2,
      skills: ['web'],
      body: 'Details here',
    });
  });

  it.each<[string, string]>([
    ['/task', 'a task needs a title, like /task Fix the login page'],
    ['/task   \n  \n', 'a task needs a title, like /task Fix the login page'],
    ['/task priority=3', 'a task needs a title, like /task Fix the login page'],
    ['/task ""', 'the task title is empty'],
    [
      `/task ${'x'.repeat(201)}`,
      'the title is 201 characters; the most is 200 (put details on the lines below it)',
    ],
    ['/task A priority=high', "priority must be a whole number from 0 to 9, got 'high'"],
    ['/task A priority=10', "priority must be a whole number from 0 to 9, got '10'"],
    ['/task A attempts=0', "attempts must be a whole number from 1 to 20, got '0'"],
    ['/task A attempts=21', "attempts must be a whole number from 1 to 20, got '21'"],
    ['/task A timeout=soon', "timeout must be a duration like 90s, 10m or 2h (or plain seconds), got 'soon'"],
    ['/task A timeout=10y', "timeout must be a duration like 90s, 10m or 2h (or plain seconds), got '10y'"],
    ['/task A timeout=25h', "timeout must be from 1s to 24h, got '25h'"],
    ['/task A timeout=0', "timeout must be from 1s to 24h, got '0'"],
    ['/task A timeout=500ms', "timeout must be from 1s to 24h, got '500ms'"],
    ['/task A review=maybe', "review must be yes or no, got 'maybe'"],
    ['/task A skills=Web!', "a skill is a-z, 0-9, _ and - (at most 64), got 'web!'"],
    ['/task A skills=,', 'skills= needs at least one skill, like skills=web,python'],
    ['/task A after=T-1,nope!', "a task is named like T-12, 12 or a key like ORA-001, got 'nope!'"],
    [
      '/task A key=12',
      "a key must not look like a task number (T-12 or 12), got '12'; try something like ORA-001",
    ],
    [
      '/task A key=t-4',
      "a key must not look like a task number (T-12 or 12), got 't-4'; try something like ORA-001",
    ],
    [
      '/task A key=a/b',
      "a key is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, with no '..', got 'a/b'",
    ],
    ['/task A key=K after=K', 'a task cannot wait for itself: key=K is also in after='],
    ['/task A priority=1 prio=2', 'priority is given twice'],
    ['/task A priority=', 'priority= needs a value, with no space after the ='],
    [
      '/task A --colour=red',
      'unknown option colour=; known: skills, priority, after, review, key, attempts, timeout, budget; to keep it in the title, quote it: "--colour=red"',
    ],
    [
      '/task w colour=blue',
      'unknown option colour=; known: skills, priority, after, review, key, attempts, timeout, budget; to keep it in the title, quote it: "colour=blue"',
    ],
    [
      '/task Set x=5 in config',
      'unknown option x=; known: skills, priority, after, review, key, attempts, timeout, budget; to keep it in the title, quote it: "x=5"',
    ],
    [
      '/task A priorty=3',
      'unknown option priorty=; did you mean priority=? known: skills, priority, after, review, key, attempts, timeout, budget; to keep it in the title, quote it: "priorty=3"',
    ],
    [
      '/task A --timout=3m',
      'unknown option timout=; did you mean timeout=? known: skills, priority, after, review, key, attempts, timeout, budget; to keep it in the title, quote it: "--timout=3m"',
    ],
    [
      '/task A --colour',
      'unknown option --colour; known: skills, priority, after, review, key, attempts, timeout, budget; to keep it in the title, quote it: "--colour"',
    ],
    ['/task x --timeout 10', "write options as name=value with no spaces, like timeout=10m, not '--timeout'"],
    ['/task x —priority 3', "write options as name=value with no spaces, like priority=7, not '-priority'"],
    [
      '/task x timeout=10 minutes',
      "unexpected 'minutes' after timeout=10: write the title in one piece, before or after the options, and each option's value without spaces",
    ],
    [
      '/task priority=1 Fix skills:web the login',
      "unexpected 'the' after skills:web: write the title in one piece, before or after the options, and each option's value without spaces",
    ],
    [
      '/task priority=2\nFix it review=yes today',
      "unexpected 'today' after review=yes: write the title in one piece, before or after the options, and each option's value without spaces",
    ],
    [
      '/task priority=x attempts=y',
      "a task needs a title, like /task Fix the login page; priority must be a whole number from 0 to 9, got 'x'; attempts must be a whole number from 1 to 20, got 'y'",
    ],
  ])('%j is refused: %s', (text, message) => {
    expect(refusal(text)).toBe(message);
  });
});
