import { execFileSync } from 'node:child_process';

let built = false;

/** Compiles src/ to dist/ once per benchmark run, so figures are for what the installed command runs. */
export function buildFirst(): void {
  if (built) return;
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  built = true;
}
