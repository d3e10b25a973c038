import { afterEach } from 'vitest';
import type { BoardAccess } from '../../src/board/board-access.ts';
import { startBoard, type BoardServer, type BoardServerOptions } from '../../src/board/board-server.ts';
import { consoleChannelSchema } from '../../src/config/config-schema.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';

/** A token long enough for the board. */
export const TOKEN = 'test-board-token-0123456789abcdef';

const running: BoardServer[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

/** A board on `ledger` on a free loopback port, closed after the test. */
export async function testBoard(
  ledger: Ledger,
  access: Partial<BoardAccess> = {},
  extra: Partial<BoardServerOptions> = {},
): Promise<BoardServer & { base: string }> {
  const server = await startBoard({
    ledger,
    access: {
      host: '127.0.0.1',
      port: 0,
      loopback: true,
      token: undefined,
      tokenEnv: undefined,
      controls: 'token',
      ...access,
    },
    channel: consoleChannelSchema.parse({ platform: 'console' }),
    workDir: '/nonexistent-work-dir',
    log: silentLogger,
    ...extra,
  });
  running.push(server);
  return Object.assign(server, { base: server.url.replace(/\/$/, '') });
}

/** One server-sent event as the browser would see it. */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Reads a live feed until `done(messages)` says so (or `timeoutMs` passes, which throws), then
 * closes the connection. Returns the messages read.
 */
export async function readSse(
  url: string,
  headers: Record<string, string>,
  done: (messages: SseMessage[]) => boolean,
  timeoutMs = 10_000,
): Promise<SseMessage[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const messages: SseMessage[] = [];
  try {
    const res = await fetch(url, { headers, signal: abort.signal });
    if (res.status !== 200) throw new Error(`feed answered ${res.status}: ${await res.text()}`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    while (!done(messages)) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const msg: SseMessage = { id: undefined, event: 'message', data: '' };
        let hasData = false;
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) msg.id = line.slice(4);
          else if (line.startsWith('event: ')) msg.event = line.slice(7);
          else if (line.startsWith('data: ')) {
            msg.data += line.slice(6);
            hasData = true;
          }
        }
        if (hasData) messages.push(msg);
      }
    }
    return messages;
  } catch (err) {
    if (abort.signal.aborted)
      throw new Error(`feed ${url}: timed out; got ${JSON.stringify(messages.map((m) => m.event))}`);
    throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/** The ledger events' ids in a feed. */
export const changeIds = (messages: SseMessage[]): number[] =>
  messages.filter((m) => m.event === 'change').map((m) => Number(m.id));
