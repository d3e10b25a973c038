// Runs the test suite with vitest; the summary reporter prints the closing "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
const args = ['vitest', 'run', ...process.argv.slice(2)];
const r = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } });
process.exit(r.status ?? 1);
