import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { tempDir } from '../support/temp-ledger.ts';

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  const out: string[] = [];
  const code = await main(args, { out: (t) => void out.push(t), err: (t) => void out.push(t), env });
  return { code, output: out.join('\n') };
}

function config(body: unknown): string {
  const path = join(tempDir('swarm-remote-cli-'), 'agent.json');
  writeFileSync(path, JSON.stringify(body));
  return path;
}

const discord = { platform: 'discord', channelId: '123456789012345678', tokenEnv: 'AGENT_BOT_TOKEN' };

describe('chat-swarm agent <id> --remote refuses what it cannot run, with the fix', () => {
  it.each([
    {
      what: 'a ledger path',
      args: (c: string) => ['agent', 'coder-1', '--remote', '--db', 'x.db', '--config', c],
      body: { channel: discord, agents: [{ id: 'coder-1', skills: ['code'], command: 'true' }] },
      says: /a remote agent has no ledger: drop --db/,
    },
    {
      what: 'no orchestrator bot id',
      args: (c: string) => ['agent', 'coder-1', '--remote', '--config', c],
      body: { channel: discord, agents: [{ id: 'coder-1', skills: ['code'], command: 'true' }] },
      says: /remote\.orchestrator\.botUserId/,
    },
    {
      what: 'the console as its channel',
      args: (c: string) => ['agent', 'coder-1', '--remote', '--orchestrator-id', '123456789', '--config', c],
      body: {
        channel: { platform: 'console' },
        agents: [{ id: 'coder-1', skills: ['code'], command: 'true' }],
      },
      says: /needs a chat platform/,
    },
    {
      what: 'Telegram without the orchestrator handle',
      args: (c: string) => ['agent', 'coder-1', '--remote', '--orchestrator-id', '123456789', '--config', c],
      body: {
        channel: { platform: 'telegram', chatId: -1001234567890, tokenEnv: 'AGENT_BOT_TOKEN' },
        agents: [{ id: 'coder-1', skills: ['code'], command: 'true' }],
      },
      says: /remote\.orchestrator\.handle/,
    },
    {
      what: 'no token in its environment',
      args: (c: string) => ['agent', 'coder-1', '--remote', '--orchestrator-id', '123456789', '--config', c],
      body: { channel: discord, agents: [{ id: 'coder-1', skills: ['code'], command: 'true' }] },
      says: /AGENT_BOT_TOKEN/,
    },
    {
      what: 'its own token variable in passEnv',
      args: (c: string) => ['agent', 'coder-1', '--remote', '--orchestrator-id', '123456789', '--config', c],
      body: {
        channel: discord,
        agents: [{ id: 'coder-1', skills: ['code'], command: 'true', passEnv: ['AGENT_BOT_TOKEN'] }],
      },
      says: /AGENT_BOT_TOKEN holds a secret/,
    },
    {
      what: 'a preset agent (presets run only as local agents)',
      args: (c: string) => ['agent', 'coder-1', '--remote', '--orchestrator-id', '123456789', '--config', c],
      body: { channel: discord, agents: [{ id: 'coder-1', skills: ['code'], preset: 'codex' }] },
      says: /a remote agent runs a shell "command" \(give one, or --command\); its preset codex runs only as a local agent/,
    },
    {
      what: 'an agent the config does not list, without --command',
      args: (c: string) => ['agent', 'coder-9', '--remote', '--orchestrator-id', '123456789', '--config', c],
      body: { channel: discord, agents: [] },
      says: /agent coder-9: a remote agent runs a shell "command" \(give one, or --command\)$/m,
    },
  ])('$what', async ({ args, body, says }) => {
    const dir = tempDir('swarm-remote-cli-work-');
    const { code, output } = await run(args(config({ workDir: dir, ...body })));
    expect(code).not.toBe(0);
    expect(output).toMatch(says);
  });
});
