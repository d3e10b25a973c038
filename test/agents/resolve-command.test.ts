import { describe, expect, it } from 'vitest';
import { resolveCommand } from '../../src/agents/resolve-command.ts';

describe('resolveCommand', () => {
  it('makes a leading ./ or ../ script absolute against the base folder, quoted for the shell', () => {
    expect(resolveCommand('./agents/coder.sh --fast', '/srv/swarm')).toBe(
      "'/srv/swarm/agents/coder.sh' --fast",
    );
    expect(resolveCommand('../bin/run', '/srv/swarm')).toBe("'/srv/bin/run'");
    expect(resolveCommand("./it's.sh", '/a b')).toBe(`'/a b/it'\\''s.sh'`);
  });

  it('leaves other commands alone', () => {
    for (const cmd of [
      'echo hi',
      '/usr/bin/env node x.js',
      'my-agent --message "$SWARM_TASK_BODY"',
      'cd ./x && ./y',
    ]) {
      expect(resolveCommand(cmd, '/srv')).toBe(cmd);
    }
  });
});
