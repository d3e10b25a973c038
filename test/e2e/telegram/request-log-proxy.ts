/**
 * A recording pass-through in front of the fake Bot API: every request's method, bot, chat, arrival
 * and answer times and status, as seen on the wire. Lets a test measure what the client actually did
 * (how long it waited after a 429) from timestamps taken at the server side, not in the test.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoggedRequest {
  method: string;
  /** The bot's numeric id (the part of the token before the colon). */
  botId: string;
  chatId?: string;
  /** When the request arrived, and when its answer was written back (ms since the epoch). */
  arrivedAt: number;
  answeredAt: number;
  status: number;
  retryAfterSeconds?: number;
}

export interface RequestLogProxy {
  apiRoot: string;
  requests: LoggedRequest[];
  close(): Promise<void>;
}

const readAll = async (stream: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const chatOf = (body: Buffer, contentType: string | undefined): string | undefined => {
  if (!contentType?.includes('json')) return undefined;
  try {
    const id = (JSON.parse(body.toString('utf8')) as { chat_id?: string | number }).chat_id;
    return id === undefined ? undefined : String(id);
  } catch {
    return undefined;
  }
};

/** Starts a proxy on 127.0.0.1 forwarding to `target` (the fake's apiRoot). */
export async function startRequestLogProxy(target: string): Promise<RequestLogProxy> {
  const upstream = new URL(target);
  const requests: LoggedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const arrivedAt = Date.now();
    void readAll(req).then((body) => {
      const [, botId = '?', method = '?'] = /^\/bot(\d+):[^/]*\/([A-Za-z]+)/.exec(req.url ?? '') ?? [];
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, 'content-length': String(body.length) },
        },
        (answer) => {
          void readAll(answer).then((payload) => {
            const entry: LoggedRequest = {
              method,
              botId,
              arrivedAt,
              answeredAt: Date.now(),
              status: answer.statusCode ?? 0,
            };
            const chatId = chatOf(body, req.headers['content-type']);
            if (chatId !== undefined) entry.chatId = chatId;
            if (entry.status === 429) {
              const parsed = JSON.parse(payload.toString('utf8')) as {
                parameters?: { retry_after?: number };
              };
              if (parsed.parameters?.retry_after !== undefined)
                entry.retryAfterSeconds = parsed.parameters.retry_after;
            }
            requests.push(entry);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(payload);
          });
        },
      );
      forward.on('error', () => {
        res.destroy();
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    apiRoot: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
