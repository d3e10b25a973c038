/**
 * Shared set-up for the Discord adapter tests: a fake server, an in-memory cursor store, a logger
 * that keeps every line, and adapters created against the fake that are all stopped on close.
 */
import type { ChatPort, CursorStore } from '../../../src/chat/chat-port.ts';
import type { Logger } from '../../../src/core/logger.ts';
import {
  createDiscordChannel,
  type DiscordChannelOptions,
} from '../../../adapters/discord/discord-channel.ts';
import {
  startFakeDiscord,
  type FakeDiscord,
  type FakeDiscordOptions,
} from '../../fakes/discord/fake-discord-server.ts';

export const ORCHESTRATOR_TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.Gx1abc.orchestrator-secret-token-value';
export const AGENT_TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc5.Gx1abd.designer-secret-token-value';

export function memoryCursors(): CursorStore & { readonly map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, get: (k) => map.get(k), set: (k, v) => void map.set(k, v) };
}

export function captureLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  return { lines, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export interface DiscordKit {
  fake: FakeDiscord;
  cursors: ReturnType<typeof memoryCursors>;
  log: ReturnType<typeof captureLogger>;
  /** A new adapter on the fake's first channel; extra options override the defaults. */
  channel(extra?: Partial<DiscordChannelOptions>): ChatPort;
  close(): Promise<void>;
}

/** Bots: the orchestrator, one agent with its own account, and a stranger bot. People: alice, bob. */
export async function startDiscordKit(options: FakeDiscordOptions = {}): Promise<DiscordKit> {
  const fake = await startFakeDiscord({
    bots: [
      { name: 'orchestrator', token: ORCHESTRATOR_TOKEN },
      { name: 'designer-bot', token: AGENT_TOKEN },
      { name: 'stranger', token: 'stranger-token' },
    ],
    users: [{ name: 'alice', roles: ['admins'] }, { name: 'bob' }],
    roles: [{ name: 'admins', permissions: 0n }],
    heartbeatIntervalMs: 1_000,
    ...options,
  });
  const cursors = memoryCursors();
  const log = captureLogger();
  const ports: ChatPort[] = [];
  return {
    fake,
    cursors,
    log,
    channel(extra = {}) {
      const port = createDiscordChannel(
        {
          token: ORCHESTRATOR_TOKEN,
          channelId: fake.channelId,
          apiBase: fake.apiBase,
          agentTokens: { 'designer-001': AGENT_TOKEN },
          ...extra,
        },
        { log, cursors },
      );
      ports.push(port);
      return port;
    },
    async close() {
      for (const port of ports) await port.stop();
      await fake.close();
    },
  };
}
