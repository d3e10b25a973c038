// A child process for the Discord crash test: an orchestrator on the fake Discord server that
// creates one task and posts its message. The parent kills this process (SIGKILL) from the fake's
// `beforeReply` hook, i.e. after Discord created the message but before its id reached the ledger.
// The bot token comes from the environment (DISCORD_BOT_TOKEN), never from the command line.
import { createDiscordChannel } from '../../../adapters/discord/discord-channel.ts';
import { ledgerCursorStore } from '../../../src/cli/ledger-cursors.ts';
import { silentLogger } from '../../../src/core/logger.ts';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { Orchestrator } from '../../../src/orchestrator/orchestrator.ts';
import { PLATFORM_PACING } from '../../../src/orchestrator/poster-options.ts';

const [dbPath, apiBase, channelId, title] = process.argv.slice(2);
const token = process.env.DISCORD_BOT_TOKEN;
if (!dbPath || !apiBase || !channelId || !title || !token) {
  throw new Error(
    'usage: DISCORD_BOT_TOKEN=… discord-crashing-orchestrator <db> <apiBase> <channelId> <title>',
  );
}
const ledger = Ledger.open(dbPath, { synchronous: 'normal' });
const port = createDiscordChannel(
  { token, channelId, apiBase },
  { log: silentLogger, cursors: ledgerCursorStore(ledger, 'discord') },
);
const orch = new Orchestrator({
  ledger,
  port,
  channel: 'main',
  admins: { userIds: [], roleIds: [], everyone: false },
  log: silentLogger,
  poster: PLATFORM_PACING.discord ?? {},
});
await orch.start();
ledger.createTask({ title }, 'test');
orch.poster.kick();
// Runs until the parent kills it.
await new Promise(() => undefined);
