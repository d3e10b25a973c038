/**
 * Checks, before any task is routed to it, that an agent's shell command can start: each program it
 * names exists, is executable, and resolves on PATH. Only plain words are checked (the first word of
 * each simple command, after `NAME=value` assignments); anything built at run time (`$VAR`, `$(…)`,
 * globs, functions, compound commands) is left to the shell, so a valid command is never refused.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { resolveCommand } from './resolve-command.ts';

/** The outcome for one program a command runs. */
export interface ProgramCheck {
  /** The word as the shell sees it, after `./x` is resolved against the config folder. */
  program: string;
  ok: boolean;
  /** What was found (`/usr/bin/node`, `shell builtin`), or what is wrong. */
  detail: string;
  /** What to do, when not ok. */
  fix?: string;
}

/** An agent's command, checked. `programs` is empty when nothing in it could be checked statically. */
export interface CommandCheck {
  agentId: string;
  command: string;
  programs: ProgramCheck[];
  ok: boolean;
}

/** What to check: an agent's id, its command as configured, and the PATH its worker gets. */
export interface CheckedAgent {
  id: string;
  command: string;
  /** Folder a leading `./script` is relative to (the config file's). */
  baseDir: string;
  /** PATH the worker runs with. */
  path: string | undefined;
}

const RESERVED = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'case',
  'esac',
  'while',
  'until',
  'for',
  'in',
  'function',
  'select',
  '!',
  '{',
  '}',
  '[[',
  ']]',
  'time',
]);
// A construct that makes the split into simple commands unreliable: then only the first word is checked.
const COMPLEX = /[`(){}]|\$\(|<</;
const CHANGES_LOOKUP = new Set([
  'cd',
  'pushd',
  'popd',
  'source',
  '.',
  'alias',
  'export',
  'set',
  'eval',
  'hash',
  'unalias',
  'unset',
  'exec',
]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Checks many agents' commands with one shell run for the PATH look-ups. */
export function checkAgentCommands(agents: readonly CheckedAgent[]): CommandCheck[] {
  const planned = agents.map((a) => {
    return { agent: a, words: programWords(resolveCommand(a.command, a.baseDir)) };
  });
  const lookups = new Map<string, Set<string>>();
  for (const p of planned) {
    const key = p.agent.path ?? '';
    const set = lookups.get(key) ?? new Set<string>();
    for (const w of p.words) if (!w.includes('/')) set.add(w);
    lookups.set(key, set);
  }
  const found = new Map<string, Map<string, string | null>>();
  for (const [path, words] of lookups) found.set(path, lookUp([...words], path));
  return planned.map(({ agent, words }) => {
    const programs = words.map((w) => checkWord(w, agent, found.get(agent.path ?? '')));
    return { agentId: agent.id, command: agent.command, programs, ok: programs.every((p) => p.ok) };
  });
}

function checkWord(
  word: string,
  agent: CheckedAgent,
  found: Map<string, string | null> | undefined,
): ProgramCheck {
  if (!word.includes('/')) {
    const where = found?.get(word);
    if (where === undefined) return { program: word, ok: true, detail: 'not checked' };
    if (where !== null)
      return { program: word, ok: true, detail: where.includes('/') ? where : 'shell builtin' };
    return {
      program: word,
      ok: false,
      detail: `not found on PATH (${agent.path ?? 'no PATH set'})`,
      fix: `install ${word}, put its folder on PATH (or in the agent's env.PATH), or write its full path`,
    };
  }
  if (!isAbsolute(word)) {
    return {
      program: word,
      ok: false,
      detail: "a relative path would be looked up in the task's own folder, where it does not exist",
      fix: `write ./${word.replace(/^\.\//, '')} (relative to the config file's folder) or an absolute path`,
    };
  }
  let stat;
  try {
    stat = statSync(word);
  } catch {
    return {
      program: word,
      ok: false,
      detail: 'does not exist',
      fix: `create ${word}, or fix the path in agents[].command (./x is relative to the config file's folder)`,
    };
  }
  if (!stat.isFile()) {
    return {
      program: word,
      ok: false,
      detail: 'is not a file',
      fix: `point agents[].command at a program, not ${word}`,
    };
  }
  try {
    accessSync(word, constants.X_OK);
  } catch {
    return { program: word, ok: false, detail: 'is not executable', fix: `chmod +x ${word}` };
  }
  return { program: word, ok: true, detail: word };
}

/**
 * The plain program words of a command: the first word of each simple command, unquoted, when it
 * is a literal. With a construct the split cannot follow (subshell, `$(…)`, here-document), only
 * the very first word.
 */
export function programWords(command: string): string[] {
  const pieces = splitSimpleCommands(command);
  if (pieces === undefined) return [];
  const words: string[] = [];
  const complex = COMPLEX.test(stripQuoted(command));
  for (const [index, piece] of (complex ? pieces.slice(0, 1) : pieces).entries()) {
    // `PATH=… prog` looks `prog` up elsewhere than the worker's PATH.
    if (/(^|\s)PATH=/.test(piece)) break;
    const word = firstProgramWord(piece);
    if (word === undefined) {
      if (complex || isCompound(piece)) break;
      continue;
    }
    if (RESERVED.has(word)) break;
    // A path in a later command may be made or reached (cd) by the ones before it: only the first's is checked.
    if (!(index > 0 && word.includes('/')) && !words.includes(word)) words.push(word);
    // After these, what the next commands name depends on what they did.
    if (CHANGES_LOOKUP.has(word)) break;
  }
  return words;
}

/** Splits at `;`, `&`, `|` and line breaks outside quotes; undefined when a quote is never closed. */
function splitSimpleCommands(command: string): string[] | undefined {
  const pieces: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const ch = command.charAt(i);
    if (quote !== undefined) {
      current += ch;
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"') current += command.charAt(++i);
      continue;
    }
    if (ch === '\\') {
      current += ch + command.charAt(++i);
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    // `>&2`, `2>&1`, `&>file` and `>|file` are redirections, not command separators.
    const redirect =
      (ch === '&' &&
        (command.charAt(i - 1) === '>' || command.charAt(i - 1) === '<' || command.charAt(i + 1) === '>')) ||
      (ch === '|' && command.charAt(i - 1) === '>');
    if (!redirect && (ch === ';' || ch === '&' || ch === '|' || ch === '\n')) {
      pieces.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (quote !== undefined) return undefined;
  pieces.push(current);
  return pieces.filter((p) => p.trim() !== '');
}

function stripQuoted(command: string): string {
  return command.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, '""');
}

function isCompound(piece: string): boolean {
  const head = piece.trim().split(/\s+/)[0] ?? '';
  return RESERVED.has(head) || head.startsWith('(') || head.startsWith('{');
}

/** The first word after assignments, with quotes removed; undefined when it is not a literal. */
function firstProgramWord(piece: string): string | undefined {
  let rest = piece.trimStart();
  for (;;) {
    const { word, raw } = readWord(rest);
    if (raw === '') return undefined;
    rest = rest.slice(raw.length).trimStart();
    if (ASSIGNMENT.test(raw)) continue;
    return word;
  }
}

/** Reads one shell word; `word` is its literal value, or undefined if the shell would expand it. */
function readWord(text: string): { word: string | undefined; raw: string } {
  let i = 0;
  let word: string | undefined = '';
  while (i < text.length && !/\s/.test(text.charAt(i))) {
    const ch = text.charAt(i);
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { word: undefined, raw: text };
      if (word !== undefined) word += text.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      let end = i + 1;
      while (end < text.length && text.charAt(end) !== '"') end += text.charAt(end) === '\\' ? 2 : 1;
      const inner = text.slice(i + 1, end);
      word = word !== undefined && !/[$`\\]/.test(inner) ? word + inner : undefined;
      i = end + 1;
    } else {
      if (/[$`*?[\]~<>\\(){}]/.test(ch)) word = undefined;
      else if (word !== undefined) word += ch;
      i++;
    }
  }
  return { word: word === '' ? undefined : word, raw: text.slice(0, i) };
}

/** `command -v` for each word through /bin/sh with the worker's PATH: a path, a builtin's name, or null. */
function lookUp(words: string[], path: string): Map<string, string | null> {
  const result = new Map<string, string | null>();
  if (words.length === 0) return result;
  // The words are arguments, never part of the script: nothing in them is run.
  const script =
    'for w; do r=$(command -v -- "$w" 2>/dev/null) && printf "%s\\t%s\\n" "$w" "$r" || printf "%s\\t\\n" "$w"; done';
  const run = spawnSync('/bin/sh', ['-c', script, 'chat-swarm-check', ...words], {
    env: path === '' ? {} : { PATH: path },
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (run.status !== 0 || typeof run.stdout !== 'string') return result;
  for (const line of run.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const found = line.slice(tab + 1);
    result.set(line.slice(0, tab), found === '' ? null : found);
  }
  return result;
}

/** One line per program that cannot start, naming the agent, the program, the problem and the fix. */
export function commandProblems(checks: readonly CommandCheck[]): string[] {
  return checks.flatMap((c) =>
    c.programs
      .filter((p) => !p.ok)
      .map(
        (p) => `agent ${c.agentId}: ${p.program} ${p.detail} (command: ${c.command}); fix: ${p.fix ?? '-'}`,
      ),
  );
}
