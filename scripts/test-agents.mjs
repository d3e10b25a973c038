// `npm run test:agents`: installs the real agent CLIs into a scratch folder outside the repository
// (never into its node_modules), then runs test/agents-real/ against the fake model API on 127.0.0.1.
// AGENT_CLIS_DIR picks the folder (default: <tmp>/chat-swarm-agent-clis); AGENT_CLIS_LATEST=1
// installs the newest versions instead of the ones these tests were last run with.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TESTED = { '@anthropic-ai/claude-code': '2.1.197', '@openai/codex': '0.171.0' };
const dir = process.env.AGENT_CLIS_DIR ?? join(tmpdir(), 'chat-swarm-agent-clis');
const bin = join(dir, 'node_modules', '.bin');
const latest = process.env.AGENT_CLIS_LATEST === '1';

if (!existsSync(join(bin, 'claude')) || !existsSync(join(bin, 'codex')) || latest) {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json')))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'agent-clis', private: true }) + '\n');
  const specs = Object.entries(TESTED).map(([name, version]) =>
    latest ? `${name}@latest` : `${name}@${version}`,
  );
  process.stderr.write(`installing ${specs.join(' ')} into ${dir}\n`);
  const r = spawnSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', ...specs], {
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    process.stderr.write('could not install the agent CLIs (is the npm registry reachable?)\n');
    process.exit(r.status ?? 1);
  }
}
const r = spawnSync(
  'npx',
  ['vitest', 'run', '--config', 'vitest.agents.config.ts', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { ...process.env, AGENT_CLIS_BIN: bin, FORCE_COLOR: '0' },
  },
);
process.exit(r.status ?? 1);
