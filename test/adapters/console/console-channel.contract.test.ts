import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createConsoleChannel } from '../../../adapters/console/console-channel.ts';
import { describeChatPortContract, type ChatHarness } from '../../contract/chat-port-contract.ts';
import { waitFor } from '../../contract/message-collector.ts';
import { parseConsoleOutput } from './parse-console-output.ts';

/** Drives the console channel through in-memory streams; the transcript is parsed from what it printed. */
async function makeConsoleHarness(): Promise<ChatHarness> {
  const input = new PassThrough();
  const output = new PassThrough();
  output.setEncoding('utf8');
  let printed = '';
  output.on('data', (chunk: string) => {
    printed += chunk;
  });
  const attachmentDir = await mkdtemp(path.join(tmpdir(), 'console-contract-'));
  const human = { id: 'tester', name: 'Tess' };
  const channel = createConsoleChannel({ user: human, attachmentDir, utc: true }, { input, output, env: {} });
  const transcript = async () => parseConsoleOutput(printed, 'swarm');
  const claimed = new Set<string>();

  return {
    port: channel,
    channelId: 'console',
    human,
    // The console can start again after stop; lines typed meanwhile wait in the input stream.
    restartPort: async () => channel,
    async postAsHuman(text, options = {}) {
      const target = options.replyTo ?? options.under?.messageId;
      input.write(target === undefined ? `${text}\n` : `>#${target} ${text}\n`);
      // The console numbers a line when it reads it, so a line typed while stopped has no id yet;
      // that is why this harness declares no catch-up even though such lines arrive at the next start.
      if (!channel.isStarted) return '';
      return waitFor(
        `echo of "${text}"`,
        async () => {
          const entry = (await transcript()).find(
            (e) => !e.fromSwarm && e.text === text && !claimed.has(e.messageId),
          );
          if (entry) claimed.add(entry.messageId);
          return entry?.messageId;
        },
        10_000,
      );
    },
    transcript,
    capabilities: { edit: true, catchUp: false, details: true },
    async close() {
      await channel.stop();
      input.end();
      output.end();
      await rm(attachmentDir, { recursive: true, force: true });
    },
  };
}

describeChatPortContract('console channel', makeConsoleHarness);
