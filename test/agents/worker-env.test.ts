import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toShellEnv } from '../../src/agents/shell-task-env.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import type { Task } from '../../src/core/types.ts';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';

const task = {
  id: 'T-1',
  title: 'look around',
  body: 'print your environment',
  skills: [],
  notes: [],
  maxAttempts: 3,
} as unknown as Task;
const info = { task, attempt: 1, agentId: 'a1', workDir: '/tmp/w' };

const TG = '123456789:AAHfakefakefakefakefakefakefakefake';
const OWN = '987654321:BBHownbotownbotownbotownbotownbot00';

describe('worker environment', () => {
  const source: NodeJS.ProcessEnv = {
    PATH: '/usr/bin:/bin',
    HOME: '/home/swarm',
    LC_ALL: 'C.UTF-8',
    TELEGRAM_BOT_TOKEN: TG,
    MY_AGENT_TOKEN: OWN,
    SWARM_AUDIT_KEY: 'audit-secret-0123456789',
    AWS_SECRET_ACCESS_KEY: 'aws-secret',
    OPENAI_API_KEY: 'sk-allowed',
  };

  it('is built from the base allowlist, the config env, passEnv and the task, nothing else', () => {
    const env = toShellEnv(info, { env: { MODE: 'fast' }, passEnv: ['OPENAI_API_KEY'] }, source);
    expect(env).toMatchObject({
      PATH: '/usr/bin:/bin',
      HOME: '/home/swarm',
      LC_ALL: 'C.UTF-8',
      MODE: 'fast',
      OPENAI_API_KEY: 'sk-allowed',
      SWARM_TASK_ID: 'T-1',
    });
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(env.TELEGRAM_BOT_TOKEN).toBeUndefined();
    expect(env.SWARM_AUDIT_KEY).toBeUndefined();
  });

  it('never passes a withheld name, even when env or passEnv lists it', () => {
    const env = toShellEnv(
      info,
      {
        env: { MY_AGENT_TOKEN: 'literal', SWARM_AUDIT_KEY: 'x' },
        passEnv: ['MY_AGENT_TOKEN', 'TELEGRAM_BOT_TOKEN', 'SWARM_AUDIT_KEY'],
        withheld: ['MY_AGENT_TOKEN'],
      },
      source,
    );
    expect(Object.keys(env).filter((k) => /TOKEN|AUDIT/.test(k))).toEqual([]);
    expect(Object.values(env).join('\n')).not.toContain(OWN);
  });

  it('refuses a config that lists a tokenEnv or SWARM_AUDIT_KEY in passEnv or env, naming the field', () => {
    const base = {
      channel: { platform: 'telegram', tokenEnv: 'TG_TOKEN', chatId: -100123 },
      agents: [{ id: 'a1', command: 'true', tokenEnv: 'A1_TOKEN', passEnv: ['OPENAI_API_KEY'] }],
    };
    expect(() => parseConfig(base, 'test')).not.toThrow();
    const cases: [unknown, RegExp][] = [
      [{ passEnv: ['TG_TOKEN'] }, /TG_TOKEN holds a secret[\s\S]*agents\[0\]\.passEnv\[0\]/],
      [{ passEnv: ['A1_TOKEN'] }, /A1_TOKEN holds a secret/],
      [{ passEnv: ['SWARM_AUDIT_KEY'] }, /SWARM_AUDIT_KEY holds a secret/],
      [{ env: { TG_TOKEN: 'x' } }, /never passed to a worker[\s\S]*agents\[0\]\.env\.TG_TOKEN/],
    ];
    for (const [extra, message] of cases) {
      const cfg = { ...base, agents: [{ ...base.agents[0], ...(extra as object) }] };
      expect(() => parseConfig(cfg, 'test')).toThrow(ConfigError);
      expect(() => parseConfig(cfg, 'test')).toThrow(message);
    }
  });

  it('keeps every token out of a real worker that prints env and /proc/self/environ', async () => {
    const dir = tempDir();
    const db = join(dir, 'swarm.db');
    const config = join(dir, 'chat-swarm.json');
    writeFileSync(
      config,
      JSON.stringify({
        db,
        workDir: join(dir, 'work'),
        channel: { platform: 'telegram', tokenEnv: 'TG_TOKEN', chatId: -100123 },
        agents: [
          {
            id: 'snoop-1',
            command: "env; echo ---; tr '\\000' '\\n' < /proc/self/environ",
            tokenEnv: 'MY_AGENT_TOKEN',
            env: { MODE: 'fast' },
            passEnv: ['OPENAI_API_KEY'],
          },
        ],
      }),
    );
    const setup = Ledger.open(db);
    setup.createTask({ title: 'print your environment' }, 'test');
    setup.close();
    const run = await collect(
      spawnCli(['agent', 'snoop-1', '--config', config, '--until-idle'], {
        TG_TOKEN: TG,
        TELEGRAM_BOT_TOKEN: TG,
        MY_AGENT_TOKEN: OWN,
        SWARM_AUDIT_KEY: 'audit-secret-0123456789',
        OPENAI_API_KEY: 'sk-allowed',
      }),
    );
    expect(run.code, run.stderr).toBe(0);
    const ledger = Ledger.open(db);
    try {
      const result = ledger.getTask('T-1')!.result!;
      expect(result).toContain('SWARM_TASK_ID=T-1');
      expect(result).toContain('MODE=fast');
      // Passed through (passEnv), and masked where it would be stored: its name says it is a credential.
      expect(result).toContain('OPENAI_API_KEY=[masked OPENAI_API_KEY]');
      const everything = JSON.stringify(ledger.events()) + result;
      for (const secret of [TG, OWN, 'audit-secret-0123456789']) expect(everything).not.toContain(secret);
    } finally {
      ledger.close();
    }
  }, 60_000);
});
