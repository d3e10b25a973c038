#!/usr/bin/env node
// Entry point of the installed `chat-swarm` command: runs the compiled CLI in dist/ (built by
// `npm install` in a checkout through the `prepare` script, shipped ready-built in the package).
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
// Answered before anything else is loaded, so scripts can probe the version cheaply.
if (argv[0] === '--version' || argv[0] === '-V') {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`chat-swarm ${pkg.version}\n`);
  process.exit(0);
}

let cli;
try {
  cli = await import('../dist/src/cli/main.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    process.stderr.write(
      'chat-swarm is not built yet: run `npm run build` (npm install does it) in its folder\n',
    );
    process.exit(3);
  }
  throw err;
}
cli.exitAfterOutput(await cli.main(argv));
