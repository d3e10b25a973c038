import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file of the board's front end, loaded once. */
export interface BoardAsset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

/**
 * The folder of the front end: `public/` beside this module, in the sources (run through tsx) and in
 * the built package alike (the build copies it next to the compiled module).
 */
export const BOARD_PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/**
 * Loads the front end's files into memory, by name: only files directly in the folder with a known
 * type, so a request can name nothing else.
 */
export function loadBoardAssets(dir: string = BOARD_PUBLIC_DIR): Map<string, BoardAsset> {
  const assets = new Map<string, BoardAsset>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || type === undefined) continue;
    const body = readFileSync(join(dir, entry.name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(entry.name, { body, type, etag });
  }
  if (!assets.has('index.html'))
    throw new Error(`the board's front end is missing (no index.html in ${dir}); reinstall chat-swarm`);
  return assets;
}
