#!/usr/bin/env node
// Entry point for the installed `chat-swarm` command: loads the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';
register();
const { main, exitAfterOutput } = await import('../src/cli/main.ts');
exitAfterOutput(await main(process.argv.slice(2)));
