import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/command-catalog.ts';
import { parseCommand } from '../../src/commands/command-grammar.ts';
import {
  COMMAND_NAMES,
  CommandSchema,
  type ParseResult,
  type TaskCommand,
} from '../../src/commands/command-types.ts';

/** The promise every result keeps, whatever was typed. */
function expectWellFormed(result: ParseResult): void {
  expect(['none', 'ok', 'error']).toContain(result.kind);
  if (result.kind === 'error') {
    expect(result.message.trim()).not.toBe('');
    expect(result.usage.trim()).not.toBe('');
  }
  if (result.kind === 'ok') {
    // Whatever the grammar accepts is a valid command by the schema the handler relies on.
    expect(CommandSchema.safeParse(result.command).success).toBe(true);
  }
}

// Any UTF-16 unit, so lone surrogates and controls come up.
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const PHONE_CHARS = [
  '“',
  '”',
  '‘',
  '’',
  '—',
  '–',
  '\u00A0',
  '\r\n',
  '\r',
  '\n',
  '\t',
  '\u200B',
  '\uFEFF',
  '"',
  '@',
];
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: anyUnit, maxLength: 200 }),
  fc.string({ unit: fc.oneof(fc.constantFrom(...PHONE_CHARS), fc.string({ maxLength: 2 })), maxLength: 60 }),
);

const WORDS = COMMAND_NAMES.flatMap((name) => [name, ...COMMANDS[name].aliases]);
const randomCase = (word: string) =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((upper) => [...word].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''));

const TOKENS = [
  'T-3',
  't-0',
  '3',
  '#12',
  'ORA-001',
  '@designer-001',
  'designer-001',
  'all',
  'to',
  'priority=7',
  'priority=high',
  'prio:',
  'skills=a,',
  'skills=Web,PY',
  'after=T-1,',
  'after=',
  'review=yes',
  '--review',
  '—no-review',
  'key=ORA-9',
  'key=12',
  'attempts=99',
  'timeout=10m',
  'timeout=1h30m',
  'timeout=-5',
  '"quoted title"',
  '“smart',
  'quotes”',
  '"',
  '=',
  ':',
  '😀',
  '\uD800',
];
const token = fc.oneof(
  fc.constantFrom(...TOKENS),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: anyUnit, maxLength: 4 }),
);
const separator = fc.constantFrom(' ', '  ', '\n', '\r\n', '\t', '\u00A0', ' \n\n ');

const commandShaped = fc
  .tuple(
    fc.constantFrom('/', '!', ' /', '\n!'),
    fc.constantFrom(...WORDS).chain(randomCase),
    fc.option(fc.constantFrom('@orchestrator_bot', '@Other_Bot')),
    fc.array(fc.tuple(separator, token), { maxLength: 8 }),
  )
  .map(
    ([prefix, word, mention, rest]) => prefix + word + (mention ?? '') + rest.map(([s, t]) => s + t).join(''),
  );

describe('parseCommand never throws', () => {
  it('returns one of the three kinds for arbitrary text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expectWellFormed(parseCommand(text));
      }),
      { numRuns: 1_000 },
    );
  });

  it('returns one of the three kinds for command-shaped text', () => {
    fc.assert(
      fc.property(commandShaped, (text) => {
        const result = parseCommand(text);
        expectWellFormed(result);
        // A known word after a prefix is always read as that command, right or wrong.
        expect(result.kind).not.toBe('none');
      }),
      { numRuns: 2_000 },
    );
  });

  it('reports the bot a command is addressed to, whatever follows the name', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_]{1,32}$/);
    const after = fc.constantFrom('', ' ', ':', ': ', '\n', '\r\n', '\t', '.', ',', '!', '?', ';', '?!');
    fc.assert(
      fc.property(
        fc.constantFrom('/', '!', ' /', '\n!'),
        fc.constantFrom(...WORDS).chain(randomCase),
        name,
        after,
        fc.array(fc.tuple(separator, token), { maxLength: 4 }),
        (prefix, word, bot, follow, rest) => {
          const result = parseCommand(
            prefix + word + '@' + bot + follow + rest.map(([s, t]) => s + t).join(''),
          );
          expect(result.kind).not.toBe('none');
          expect(result.kind !== 'none' && result.addressedTo).toBe(bot);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('answers huge command-shaped input with an error, not a crash', () => {
    fc.assert(
      fc.property(commandShaped, fc.integer({ min: 20_001, max: 60_000 }), (text, size) => {
        const huge = (text + ' ').padEnd(size, 'x\u00A0"“');
        const result = parseCommand(huge);
        expectWellFormed(result);
        expect(result.kind).toBe('error');
      }),
      { numRuns: 30 },
    );
  });
});

// Title words that cannot be mistaken for options, flags or quotes.
const titleWord = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.,'?()]{0,11}$/);
const skill = fc.stringMatching(/^[a-z0-9_-]{1,12}$/);
const key = fc
  .stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,20}$/)
  .filter((k) => !/^t-\d+$/i.test(k) && !k.includes('..'));
const taskNumber = fc.integer({ min: 1, max: 99_999 });
const dependency = fc.oneof(
  taskNumber.map((n) => ({ typed: `T-${n}`, id: `T-${n}` })),
  taskNumber.map((n) => ({ typed: `t-${n}`, id: `T-${n}` })),
  taskNumber.map((n) => ({ typed: String(n), id: `T-${n}` })),
  key.map((k) => ({ typed: k, id: k })),
);
const timeout = fc.oneof(
  fc.integer({ min: 1, max: 86_400 }).map((s) => ({ typed: String(s), ms: s * 1_000 })),
  fc.integer({ min: 1, max: 86_400 }).map((s) => ({ typed: `${s}s`, ms: s * 1_000 })),
  fc.integer({ min: 1, max: 1_440 }).map((m) => ({ typed: `${m}m`, ms: m * 60_000 })),
  fc.integer({ min: 1, max: 24 }).map((h) => ({ typed: `${h}h`, ms: h * 3_600_000 })),
);
const bodyLine = fc.stringMatching(/^[A-Za-z0-9][ A-Za-z0-9=:,.'"-]{0,40}[A-Za-z0-9.]$/);

const taskSpec = fc.record(
  {
    titleWords: fc.array(titleWord, { minLength: 1, maxLength: 12 }),
    skills: fc.uniqueArray(skill, { minLength: 1, maxLength: 5 }),
    priority: fc.integer({ min: 0, max: 9 }),
    after: fc.uniqueArray(dependency, { minLength: 1, maxLength: 4, selector: (d) => d.id }),
    review: fc.constantFrom<[string, boolean]>(['yes', true], ['no', false], ['on', true], ['FALSE', false]),
    key,
    attempts: fc.integer({ min: 1, max: 20 }),
    timeout,
    body: fc.array(bodyLine, { maxLength: 4 }),
    separator: fc.constantFrom('=', ':'),
    // Phones add a space after a comma; a list ending in a comma continues in the next word.
    listJoin: fc.constantFrom(',', ', '),
    word: fc.constantFrom('/task', '!task', '/new', '/create@orchestrator_bot'),
  },
  { requiredKeys: ['titleWords', 'separator', 'listJoin', 'word', 'body'] },
);

describe('generated /task commands', () => {
  it('parse back to the fields they were written from', () => {
    fc.assert(
      fc.property(taskSpec, fc.infiniteStream(fc.nat()), (spec, positions) => {
        if (spec.key !== undefined && spec.after?.some((d) => d.id === spec.key)) return;
        const sep = spec.separator;
        const options: string[] = [];
        if (spec.skills) options.push(`skills${sep}${spec.skills.join(spec.listJoin)}`);
        if (spec.priority !== undefined) options.push(`priority${sep}${spec.priority}`);
        if (spec.after) options.push(`after${sep}${spec.after.map((d) => d.typed).join(spec.listJoin)}`);
        if (spec.review) options.push(`review${sep}${spec.review[0]}`);
        if (spec.key !== undefined) options.push(`key${sep}${spec.key}`);
        if (spec.attempts !== undefined) options.push(`attempts${sep}${spec.attempts}`);
        if (spec.timeout) options.push(`timeout${sep}${spec.timeout.typed}`);
        // Each option goes before or after the title, which stays in one piece.
        const before: string[] = [];
        const after: string[] = [];
        const iter = positions[Symbol.iterator]();
        for (const option of options) ((iter.next().value as number) % 2 === 0 ? before : after).push(option);
        const words = [...before, ...spec.titleWords, ...after];
        const text = [`${spec.word} ${words.join(' ')}`, ...spec.body].join('\n');

        const expected: TaskCommand = {
          name: 'task',
          title: spec.titleWords.join(' '),
          body: spec.body.join('\n'),
          skills: spec.skills ?? [],
          priority: spec.priority ?? 5,
          dependsOn: spec.after?.map((d) => d.id) ?? [],
          review: spec.review?.[1] ?? false,
          maxAttempts: spec.attempts ?? 3,
        };
        if (spec.key !== undefined) expected.key = spec.key;
        if (spec.timeout) expected.timeoutMs = spec.timeout.ms;

        const result = parseCommand(text);
        expect(result).toMatchObject({ kind: 'ok', command: expected });
        if (result.kind === 'ok') expect(result.command).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

// Option names that are not /task options, and words that a stray title word could be.
const unknownName = fc
  .stringMatching(/^[a-z][a-z0-9_-]{0,10}$/)
  .filter(
    (n) =>
      ![
        'skills',
        'skill',
        'priority',
        'prio',
        'after',
        'deps',
        'depends',
        'dependson',
        'depends-on',
        'review',
        'key',
        'id',
        'attempts',
        'max-attempts',
        'maxattempts',
        'tries',
        'timeout',
      ].includes(n),
  );

describe('words that are not options never end up in the title', () => {
  it('refuses an unknown name=value anywhere on the title line, naming it', () => {
    fc.assert(
      fc.property(
        fc.array(titleWord, { minLength: 1, maxLength: 6 }),
        unknownName,
        titleWord,
        fc.nat(),
        (titleWords, name, value, at) => {
          const words = [...titleWords];
          words.splice(at % (words.length + 1), 0, `${name}=${value}`);
          const result = parseCommand(`/task ${words.join(' ')}`);
          expect(result.kind).toBe('error');
          if (result.kind === 'error') expect(result.message).toContain(`unknown option ${name}=`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a word between options after the title', () => {
    fc.assert(
      fc.property(
        fc.array(titleWord, { minLength: 1, maxLength: 6 }),
        titleWord,
        fc.integer({ min: 0, max: 9 }),
        (titleWords, stray, priority) => {
          const result = parseCommand(`/task ${titleWords.join(' ')} priority=${priority} ${stray}`);
          expect(result.kind).toBe('error');
          if (result.kind === 'error') expect(result.message).toContain(`unexpected '${stray}'`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps a quoted title with = and option names in it whole', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(titleWord, fc.constantFrom('a=b', 'priority=2', 'colour=blue', '--review')), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 0, max: 9 }),
        (titleWords, priority) => {
          const title = titleWords.join(' ');
          const result = parseCommand(`/task "${title}" priority=${priority}`);
          expect(result).toMatchObject({ kind: 'ok', command: { title, priority } });
        },
      ),
      { numRuns: 300 },
    );
  });
});
