/**
 * The real agent CLIs (Claude Code, Codex) against the fake model API on 127.0.0.1: a swarm with a
 * preset agent completes a task that uses a tool, reports progress and usage, and a task whose
 * agent asks a question that a person answers in the chat, after which the same session resumes.
 * Run by `npm run test:agents` (scripts/test-agents.mjs installs the CLIs and sets AGENT_CLIS_BIN);
 * not part of the default suite.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import { agentSchema } from '../../src/config/config-schema.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { budgetsOf, createAgentWorker } from '../../src/presets/agent-worker.ts';
import { startFakeModelApi, type FakeModelApi, type ModelView } from '../fakes/model-api/fake-model-api.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const BIN = process.env.AGENT_CLIS_BIN;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

/**
 * The fake model: a task that says USE-TOOL first runs a shell command; one that says ASK-ME asks a
 * question; after an answer it says whether it still remembers the task (the session resumed).
 */
function script(view: ModelView) {
  const all = view.userTexts.join('\n');
  const last = view.userTexts.at(-1) ?? '';
  if (last.includes('A person answered your question')) {
    const answer = /answered your question:\s*\n\s*\n([^\n]*)/.exec(last)?.[1] ?? '?';
    const remembers = all.includes('# Task') && all.includes('ASK-ME');
    return {
      say: `Painted it ${answer}. resumed: ${remembers ? 'yes' : 'no'}`,
      inputTokens: 300,
      outputTokens: 30,
    };
  }
  if (all.includes('ASK-ME')) return { say: 'I can do that.\n::ask Which colour should it be?' };
  if (all.includes('USE-TOOL') && view.toolResults === 0)
    return view.api === 'anthropic'
      ? { tool: { name: 'Bash', input: { command: 'echo tool-ran', description: 'print a word' } } }
      : { tool: { name: 'exec_command', input: { cmd: 'echo tool-ran' } } };
  return {
    say: `Done. I saw: ${last.includes('tool-ran') ? 'tool-ran' : 'nothing'}`,
    inputTokens: 200,
    outputTokens: 40,
  };
}

async function startSwarm(ledger: Ledger, port: MemoryChannel): Promise<Orchestrator> {
  const orch = new Orchestrator({
    ledger,
    port,
    channel: 'main',
    admins: { userIds: ['alice'], roleIds: [], everyone: false },
    log: silentLogger,
  });
  await orch.start();
  stops.push(() => orch.stop());
  return orch;
}

function startAgent(ledger: Ledger, entry: Record<string, unknown>): void {
  const agent = agentSchema.parse({ id: 'coder-001', ...entry });
  const runtime = new AgentRuntime(ledger, {
    id: agent.id,
    skills: [],
    capacity: 1,
    worker: createAgentWorker(agent, { baseDir: process.cwd(), withheldEnv: [], log: silentLogger }),
    workRoot: tempDir(),
    budgets: budgetsOf(agent, { budgets: {} }),
    log: silentLogger,
    progressIntervalMs: 0,
  });
  runtime.start();
  stops.push(() => runtime.stop());
}

async function runScenario(ledger: Ledger, port: MemoryChannel, api: FakeModelApi): Promise<void> {
  port.postAsHuman('/task Say hello USE-TOOL', { authorId: 'alice', name: 'alice' });
  await waitFor('T-1 done', () => ledger.getTask('T-1')?.status === 'done', 120_000);
  expect(ledger.getTask('T-1')!.result).toBe('Done. I saw: tool-ran');
  const progress = ledger
    .events({ taskId: 'T-1' })
    .filter((e) => e.type === 'task_progress')
    .map((e) => String(e.data.text));
  expect(progress.some((p) => /echo tool-ran|print a word/.test(p))).toBe(true);
  expect(ledger.usage.task('T-1').inputTokens).toBeGreaterThan(0);
  expect(ledger.usage.session('T-1', 1)).toBeTruthy();

  port.postAsHuman('/task Paint the fence ASK-ME', { authorId: 'alice', name: 'alice' });
  await waitFor('T-2 asks', () => ledger.getTask('T-2')?.status === 'blocked', 120_000);
  expect(ledger.getTask('T-2')!.question).toBe('Which colour should it be?');
  port.postAsHuman('/answer T-2 blue', { authorId: 'alice', name: 'alice' });
  await waitFor('T-2 done', () => ledger.getTask('T-2')?.status === 'done', 120_000);
  // The model saw the original task again in the resumed conversation: the session was resumed.
  expect(ledger.getTask('T-2')!.result).toBe('Painted it blue. resumed: yes');
  expect(api.requests.length).toBeGreaterThan(3);
}

describe.skipIf(!BIN)('real agent CLIs against the fake model API', () => {
  it('claude -p completes a task with a tool, reports usage, and resumes its session after a person answers', async () => {
    const api = await startFakeModelApi(script, 'claude-sonnet-4-5');
    stops.push(() => api.close());
    const ledger = tempLedger();
    const port = createMemoryChannel();
    await startSwarm(ledger, port);
    process.env.FAKE_ANTHROPIC_API_KEY ??= 'test-key-not-a-secret-0001';
    startAgent(ledger, {
      preset: 'claude-code',
      cli: join(BIN!, 'claude'),
      model: 'claude-sonnet-4-5',
      args: ['--allowedTools', 'Bash'],
      env: {
        HOME: tempDir('claude-home-'),
        ANTHROPIC_BASE_URL: api.url,
        ANTHROPIC_API_KEY: 'test-key-not-a-secret-0001',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_AUTOUPDATER: '1',
      },
    });
    await runScenario(ledger, port, api);
    // Claude Code prices its own calls: the cost is in the ledger.
    expect(ledger.usage.task('T-1').costUsd).toBeGreaterThan(0);
  });

  it('codex exec completes a task with a tool, reports usage, and resumes its thread after a person answers', async () => {
    const api = await startFakeModelApi(script, 'gpt-fake');
    stops.push(() => api.close());
    const codexHome = tempDir('codex-home-');
    mkdirSync(codexHome, { recursive: true });
    // Codex's documented custom provider: base_url and the variable holding its key.
    writeFileSync(
      join(codexHome, 'config.toml'),
      [
        'model = "gpt-fake"',
        'model_provider = "fake"',
        '[model_providers.fake]',
        'name = "fake"',
        `base_url = "${api.url}/v1"`,
        'wire_api = "responses"',
        'env_key = "FAKE_OPENAI_KEY"',
        '',
      ].join('\n'),
    );
    const ledger = tempLedger();
    const port = createMemoryChannel();
    await startSwarm(ledger, port);
    process.env.FAKE_OPENAI_KEY = 'test-key-not-a-secret-0002';
    startAgent(ledger, {
      preset: 'codex',
      cli: join(BIN!, 'codex'),
      model: 'gpt-fake',
      passEnv: ['FAKE_OPENAI_KEY'],
      pricing: { inputUsdPerMTok: 1.25, outputUsdPerMTok: 10 },
      env: { HOME: tempDir('codex-user-'), CODEX_HOME: codexHome },
    });
    await runScenario(ledger, port, api);
    expect(ledger.usage.task('T-1').costUsd).toBeGreaterThan(0);
  });
});
