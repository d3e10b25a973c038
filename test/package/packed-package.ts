import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A folder outside the checkout with the packed chat-swarm installed, and its `chat-swarm` command. */
export interface PackedInstall {
  dir: string;
  bin: string;
}

/**
 * Packs the checkout (`npm pack` builds dist/ through `prepare`) and installs the tarball into an
 * empty project outside the checkout, as a user would.
 *
 * With CHAT_SWARM_PACKED_DIR set (`.ci/run` does a full `npm install` of the tarball there, native
 * build included), that install is used as it is. Otherwise the install skips install scripts and
 * borrows the checkout's compiled better-sqlite3 addon (same package version, same machine), so
 * `npm test` does not spend minutes compiling SQLite again; everything of ours is still what the
 * tarball holds.
 */
export function installPackedPackage(): PackedInstall {
  const ready = process.env.CHAT_SWARM_PACKED_DIR;
  if (ready) return { dir: ready, bin: join(ready, 'node_modules', '.bin', 'chat-swarm') };

  const dir = mkdtempSync(join(tmpdir(), 'chat-swarm-packed-'));
  const packDir = join(dir, 'pack');
  mkdirSync(packDir);
  execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: ROOT, stdio: 'pipe' });
  const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${packDir}`);

  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-chat-swarm', private: true }));
  const install = spawnSync(
    'npm',
    ['install', join(packDir, tarball), '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'],
    { cwd: project, encoding: 'utf8' },
  );
  if (install.status !== 0) throw new Error(`npm install of the tarball failed:\n${install.stderr}`);
  const addon = join(ROOT, 'node_modules', 'better-sqlite3', 'build');
  const target = join(project, 'node_modules', 'better-sqlite3', 'build');
  if (!existsSync(target)) cpSync(addon, target, { recursive: true });
  return { dir: project, bin: join(project, 'node_modules', '.bin', 'chat-swarm') };
}
