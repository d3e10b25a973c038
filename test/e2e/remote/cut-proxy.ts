/**
 * A pass-through HTTP proxy in front of a fake server that can be cut: while cut, every connection
 * is dropped at once (open long polls included), as a network outage on one host would; restored,
 * it passes requests through again. One party goes through it, the others reach the fake directly.
 */
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface CutProxy {
  url: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

const readAll = async (stream: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** Starts a proxy on 127.0.0.1 forwarding to `target` (an http://127.0.0.1:port origin). */
export async function startCutProxy(target: string): Promise<CutProxy> {
  const to = new URL(target);
  let isCut = false;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (isCut) {
      req.socket.destroy();
      return;
    }
    void readAll(req).then((body) => {
      const upstream = request(
        {
          host: to.hostname,
          port: to.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: to.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      isCut = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      isCut = false;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
