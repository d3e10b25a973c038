import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { agentSchema } from '../../src/config/config-schema.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { budgetsOf, createAgentWorker } from '../../src/presets/agent-worker.ts';
import { checkPresetAgent } from '../../src/presets/preset-registry.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/presets/', import.meta.url));
const REPLAY = join(FIXTURES, 'replay-cli.mjs');

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

/** A folder of runs for the replay CLI: run-1.jsonl, run-2.jsonl, … copied from the recordings. */
function runs(
  ...files: (string | { text: string; exit?: number; stderr?: string; hang?: boolean })[]
): string {
  const dir = tempDir('replay-');
  files.forEach((f, i) => {
    const n = i + 1;
    if (typeof f === 'string') copyFileSync(join(FIXTURES, f), join(dir, `run-${n}.jsonl`));
    else {
      writeFileSync(join(dir, f.hang ? `run-${n}.hang` : `run-${n}.jsonl`), f.text);
      if (f.exit !== undefined) writeFileSync(join(dir, `run-${n}.exit`), String(f.exit));
      if (f.stderr !== undefined) writeFileSync(join(dir, `run-${n}.stderr`), f.stderr);
    }
  });
  return dir;
}

/** What the replay CLI was run with, one entry per run. */
const callsOf = (dir: string): { args: string[]; prompt: string; cwd: string }[] =>
  readFileSync(join(dir, 'calls.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { args: string[]; prompt: string; cwd: string });

function startPresetAgent(ledger: Ledger, entry: Record<string, unknown>): AgentRuntime {
  const agent = agentSchema.parse({ id: 'coder-001', ...entry });
  const runtime = new AgentRuntime(ledger, {
    id: agent.id,
    skills: [],
    capacity: 1,
    worker: createAgentWorker(agent, { baseDir: FIXTURES, withheldEnv: [], log: silentLogger }),
    workRoot: tempDir(),
    budgets: budgetsOf(agent, { budgets: {} }),
    log: silentLogger,
    // Every progress line is written (no throttling), so the test sees each one.
    progressIntervalMs: 0,
  });
  runtime.start();
  stops.push(() => runtime.stop());
  return runtime;
}

const progressTexts = (ledger: Ledger, taskId: string): string[] =>
  ledger
    .events({ taskId })
    .filter((e) => e.type === 'task_progress')
    .map((e) => String(e.data.text));

describe('Claude Code preset (recorded streams of claude 2.1.197)', () => {
  it('runs claude -p with stream-json, shows tool use as progress, takes the result, its cost and its session', async () => {
    const ledger = tempLedger();
    const dir = runs('claude-code/tool-run.jsonl');
    ledger.createTask({ title: 'Say hello', body: 'Use the shell.' }, 'alice');
    startPresetAgent(ledger, {
      preset: 'claude-code',
      cli: REPLAY,
      model: 'claude-sonnet-4-5',
      env: { REPLAY_DIR: dir },
    });
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');

    expect(ledger.getTask('T-1')!.result).toBe('Final answer. I saw: tool-ran');
    const [call] = callsOf(dir);
    expect(call!.args).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--model',
      'claude-sonnet-4-5',
    ]);
    // The prompt is on standard input: the task, and how to ask a person.
    expect(call!.prompt).toContain('# Task T-1: Say hello\n\nUse the shell.');
    expect(call!.prompt).toContain('::ask <your question>');
    expect(progressTexts(ledger, 'T-1').join('\n')).toMatch(/Bash: say hi|Claude Code started/);
    const usage = ledger.usage.task('T-1');
    expect(usage).toMatchObject({
      inputTokens: 200,
      outputTokens: 40,
      reports: 1,
      model: 'claude-sonnet-4-5',
    });
    expect(usage.costUsd).toBeCloseTo(0.0012, 6);
    expect(ledger.usage.session('T-1', 1)).toBe('5c623d27-f147-4425-a0ef-22ad50193979');
  });

  it('turns a final ::ask line into a question and resumes the same session with the answer', async () => {
    const ledger = tempLedger();
    const dir = runs('claude-code/ask-run.jsonl', 'claude-code/answer-run.jsonl');
    ledger.createTask({ title: 'Paint it' }, 'alice');
    startPresetAgent(ledger, { preset: 'claude-code', cli: REPLAY, env: { REPLAY_DIR: dir } });
    await waitFor('asked', () => ledger.getTask('T-1')?.status === 'blocked');
    expect(ledger.getTask('T-1')!.question).toBe('Which colour should it be?');
    ledger.answer('T-1', 'blue', 'alice');
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');

    expect(ledger.getTask('T-1')!.result).toBe('Final answer. I saw: The answer is: blue');
    const calls = callsOf(dir);
    expect(calls).toHaveLength(2);
    const sid = '98ee9507-7fd1-4b7b-a51a-3b17339252af';
    expect(calls[1]!.args.slice(-2)).toEqual(['--resume', sid]);
    expect(calls[1]!.prompt).toContain('A person answered your question:\n\nblue');
    // Both runs ran in the same attempt folder, so the CLI finds its session there.
    expect(calls[1]!.cwd).toBe(calls[0]!.cwd);
    expect(ledger.usage.task('T-1').reports).toBe(2);
  });

  it('skips malformed and unknown lines and still finishes', async () => {
    const ledger = tempLedger();
    const recorded = readFileSync(join(FIXTURES, 'claude-code/tool-run.jsonl'), 'utf8');
    const dir = runs({
      text: `not json\n{"type":"brand_new_event","x":1}\n{"type":"assistant","message":"oops"}\n[1,2]\n${recorded}`,
    });
    ledger.createTask({ title: 'noisy' }, 'alice');
    startPresetAgent(ledger, { preset: 'claude-code', cli: REPLAY, env: { REPLAY_DIR: dir } });
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    expect(ledger.getTask('T-1')!.result).toBe('Final answer. I saw: tool-ran');
  });

  it('fails the attempt, not the agent, when the CLI crashes, with its exit code and stderr', async () => {
    const ledger = tempLedger();
    const dir = runs(
      { text: '{"type":"system","subtype":"init","session_id":"s-1"}\n', exit: 1, stderr: 'Error: boom\n' },
      'claude-code/tool-run.jsonl',
    );
    ledger.createTask({ title: 'crash once', maxAttempts: 2 }, 'alice');
    const agent = startPresetAgent(ledger, { preset: 'claude-code', cli: REPLAY, env: { REPLAY_DIR: dir } });
    // The retry comes after the backoff; the same agent takes it: it survived the crash.
    await waitFor('done on the second attempt', () => ledger.getTask('T-1')?.status === 'done', 30_000);
    const failed = ledger.events({ taskId: 'T-1' }).find((e) => e.type === 'attempt_failed')!;
    expect(String(failed.data.error)).toMatch(/^Claude Code exited with code 1; last stderr:\nError: boom/);
    expect(agent.busy).toBe(0);
  });

  it('fails an attempt whose stream ends without a result', async () => {
    const ledger = tempLedger();
    const dir = runs({ text: '{"type":"system","subtype":"init","session_id":"s-1"}\ngarbage\n' });
    ledger.createTask({ title: 'no result', maxAttempts: 1 }, 'alice');
    startPresetAgent(ledger, { preset: 'claude-code', cli: REPLAY, env: { REPLAY_DIR: dir } });
    await waitFor('failed', () => ledger.getTask('T-1')?.status === 'failed');
    expect(ledger.getTask('T-1')!.lastError).toBe(
      'Claude Code ended without a final answer (its output had no result event; 1 line(s) of its output could not be read)',
    );
  });

  it('stops a CLI that hangs without output and says so', async () => {
    const ledger = tempLedger();
    const dir = runs({ text: '{"type":"system","subtype":"init","session_id":"s-1"}\n', hang: true });
    ledger.createTask({ title: 'hangs', maxAttempts: 1 }, 'alice');
    startPresetAgent(ledger, {
      preset: 'claude-code',
      cli: REPLAY,
      idleTimeoutMs: 1_000,
      env: { REPLAY_DIR: dir },
    });
    await waitFor('failed', () => ledger.getTask('T-1')?.status === 'failed', 30_000);
    expect(ledger.getTask('T-1')!.lastError).toBe('Claude Code printed nothing for 1s; stopped as hung');
  });

  it('passes the budget left to Claude Code as --max-budget-usd', async () => {
    const ledger = tempLedger();
    const dir = runs('claude-code/tool-run.jsonl');
    ledger.createTask({ title: 'capped', budget: { usd: 0.5 } }, 'alice');
    startPresetAgent(ledger, { preset: 'claude-code', cli: REPLAY, env: { REPLAY_DIR: dir } });
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    expect(callsOf(dir)[0]!.args).toContain('--max-budget-usd');
    expect(callsOf(dir)[0]!.args).toContain('0.5000');
  });
});

describe('Codex preset (recorded streams of codex-cli 0.171.0)', () => {
  it('runs codex exec --json, shows commands as progress, and records its token usage priced by the config', async () => {
    const ledger = tempLedger();
    const dir = runs('codex/tool-run.jsonl');
    ledger.createTask({ title: 'Run a command' }, 'alice');
    startPresetAgent(ledger, {
      preset: 'codex',
      cli: REPLAY,
      model: 'gpt-fake',
      env: { REPLAY_DIR: dir },
      pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 10 },
    });
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    expect(ledger.getTask('T-1')!.result).toMatch(/^Final answer\. I saw: .*tool-ran/s);
    expect(callsOf(dir)[0]!.args).toEqual(['exec', '--json', '--skip-git-repo-check', '-m', 'gpt-fake', '-']);
    expect(progressTexts(ledger, 'T-1').join('\n')).toContain("$ /bin/bash -lc 'echo tool-ran'");
    expect(ledger.usage.task('T-1')).toMatchObject({ inputTokens: 200, outputTokens: 40, model: 'gpt-fake' });
    // Codex reports no cost: the agent's pricing prices its tokens.
    expect(ledger.usage.task('T-1').costUsd).toBeCloseTo((200 * 1 + 40 * 10) / 1e6, 9);
    expect(ledger.usage.session('T-1', 1)).toBe('01a22e85-777b-79f0-a05b-6f0ffdd54763');
  });

  it('resumes the thread with codex exec resume after a person answers', async () => {
    const ledger = tempLedger();
    const dir = runs('codex/ask-run.jsonl', 'codex/answer-run.jsonl');
    ledger.createTask({ title: 'Paint it' }, 'alice');
    startPresetAgent(ledger, { preset: 'codex', cli: REPLAY, env: { REPLAY_DIR: dir } });
    await waitFor('asked', () => ledger.getTask('T-1')?.status === 'blocked');
    expect(ledger.getTask('T-1')!.question).toBe('Which colour should it be?');
    ledger.answer('T-1', 'blue', 'alice');
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    expect(ledger.getTask('T-1')!.result).toBe('Final answer. I saw: The answer is blue');
    const calls = callsOf(dir);
    expect(calls[1]!.args).toEqual([
      'exec',
      'resume',
      '--json',
      '--skip-git-repo-check',
      '01a22e85-871e-7390-a258-80594ff8cf4a',
      '-',
    ]);
    expect(calls[1]!.prompt).toContain('blue');
  });

  it('fails the attempt with the turn failure Codex reports', async () => {
    const ledger = tempLedger();
    const dir = runs({
      text: '{"type":"thread.started","thread_id":"t-1"}\n{"type":"turn.started"}\n{"type":"turn.failed","error":{"message":"model overloaded"}}\n',
      exit: 1,
    });
    ledger.createTask({ title: 'fails', maxAttempts: 1 }, 'alice');
    startPresetAgent(ledger, { preset: 'codex', cli: REPLAY, env: { REPLAY_DIR: dir } });
    await waitFor('failed', () => ledger.getTask('T-1')?.status === 'failed');
    expect(ledger.getTask('T-1')!.lastError).toBe('Codex turn failed: model overloaded');
  });
});

describe('Gemini CLI and OpenClaw presets', () => {
  it('reads Gemini CLI stream-json: the answer after the last tool call, and its usage', async () => {
    const ledger = tempLedger();
    const dir = runs('gemini/tool-run.jsonl');
    ledger.createTask({ title: 'Count the files' }, 'alice');
    startPresetAgent(ledger, { preset: 'gemini', cli: REPLAY, env: { REPLAY_DIR: dir } });
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    expect(ledger.getTask('T-1')!.result).toBe('There are 3 files.');
    expect(callsOf(dir)[0]!.args).toEqual([
      '--output-format',
      'stream-json',
      '-p',
      'Carry out the task described above.',
    ]);
    expect(ledger.usage.task('T-1')).toMatchObject({
      inputTokens: 1400,
      outputTokens: 130,
      cachedInputTokens: 400,
      model: 'gemini-2.5-pro',
    });
    expect(progressTexts(ledger, 'T-1').join('\n')).toContain('run_shell_command: count files');
  });

  it('answers an OpenClaw question with a new run (agent exec keeps no session), and says so', async () => {
    const ledger = tempLedger();
    const dir = runs('openclaw/ask-run.jsonl', 'openclaw/answer-run.jsonl');
    ledger.createTask({ title: 'Write the note' }, 'alice');
    startPresetAgent(ledger, { preset: 'openclaw', cli: REPLAY, env: { REPLAY_DIR: dir } });
    await waitFor('asked', () => ledger.getTask('T-1')?.status === 'blocked');
    expect(ledger.getTask('T-1')!.question).toBe('Formal or casual?');
    ledger.answer('T-1', 'formal', 'alice');
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    expect(ledger.getTask('T-1')!.result).toBe('Dear team, the release is ready.');
    const calls = callsOf(dir);
    expect(calls[1]!.args).toEqual(calls[0]!.args);
    expect(calls[1]!.args.slice(0, 5)).toEqual(['agent', 'exec', '--message-file', '-', '--json']);
    expect(calls[1]!.prompt).toContain('Question: Formal or casual?\nAnswer from a person: formal');
    expect(progressTexts(ledger, 'T-1').join('\n')).toContain(
      'OpenClaw cannot resume a session: starting a new run with the answer in the prompt',
    );
    expect(ledger.usage.task('T-1')).toMatchObject({
      inputTokens: 420,
      outputTokens: 28,
      model: 'anthropic/claude-sonnet-4-6',
    });
    expect(ledger.usage.task('T-1').costUsd).toBeCloseTo(0.0061, 6);
  });
});

describe('a preset whose CLI is missing', () => {
  it('is refused at start and by doctor, with the install command as the fix', () => {
    const agent = agentSchema.parse({ id: 'coder-001', preset: 'codex', cli: './no/such/codex' });
    expect(() => createAgentWorker(agent, { baseDir: FIXTURES, withheldEnv: [], log: silentLogger })).toThrow(
      ConfigError,
    );
    expect(() => createAgentWorker(agent, { baseDir: FIXTURES, withheldEnv: [], log: silentLogger })).toThrow(
      /agent coder-001: Codex is not installed \(no executable '\.\/no\/such\/codex'\); fix: npm install -g @openai\/codex/,
    );
    const onPath = agentSchema.parse({ id: 'coder-002', preset: 'claude-code' });
    expect(() =>
      createAgentWorker(onPath, {
        baseDir: FIXTURES,
        withheldEnv: [],
        log: silentLogger,
        env: { PATH: tempDir() },
      }),
    ).toThrow(
      /Claude Code is not installed \(no executable 'claude' on PATH\); fix: npm install -g @anthropic-ai\/claude-code/,
    );
    const [check] = checkPresetAgent({ ...agent, preset: 'codex' }, FIXTURES, process.env);
    expect(check).toMatchObject({ ok: false, fix: expect.stringContaining('npm install -g @openai/codex') });
  });

  it('passes doctor when the CLI answers --version, and warns when no key is passed to it', () => {
    const agent = agentSchema.parse({
      id: 'coder-001',
      preset: 'codex',
      cli: REPLAY,
      env: { REPLAY_DIR: tempDir() },
    });
    const checks = checkPresetAgent({ ...agent, preset: 'codex' }, FIXTURES, process.env);
    expect(checks[0]).toMatchObject({ ok: true, detail: expect.stringContaining('replay-cli 1.0.0') });
    expect(checks[1]).toMatchObject({
      ok: false,
      warning: true,
      fix: expect.stringContaining('"passEnv": ["OPENAI_API_KEY"]'),
    });
  });

  it('refuses a config entry with both a command and a preset, or neither', () => {
    expect(agentSchema.safeParse({ id: 'a', command: 'x', preset: 'codex' }).success).toBe(false);
    expect(agentSchema.safeParse({ id: 'a' }).success).toBe(false);
    expect(agentSchema.safeParse({ id: 'a', preset: 'cursor' }).success).toBe(false);
  });
});
