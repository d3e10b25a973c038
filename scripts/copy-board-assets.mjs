// Part of `npm run build`: the board's front end (plain HTML, CSS and JS) goes next to its compiled
// server module, where `board-assets.ts` looks for it, in the checkout and in the package alike.
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../src/board/public/', import.meta.url));
const to = fileURLToPath(new URL('../dist/src/board/public/', import.meta.url));
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
