import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { recordRemoteAgents } from '../../src/remote/remote-registry.ts';
import { tempLedger } from '../support/temp-ledger.ts';

describe('status with remote agents', () => {
  it('marks remote agents and says when each was last heard from', async () => {
    const ledger = tempLedger();
    ledger.registerAgent({ id: 'local-1', skills: ['code'], capacity: 1, pid: 42 });
    ledger.registerAgent({ id: 'far-1', skills: ['code'], capacity: 2 });
    recordRemoteAgents(ledger, 'discord', [{ id: 'far-1', botUserId: '123456789', handle: 'far_1' }]);
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t), env: {} };
    expect(await main(['status', '--db', ledger.path], io)).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/far-1 \(remote\) \[active\].*last heard \d+s ago/);
    expect(text).toMatch(/local-1 \[active\].*seen \d+s ago/);
    out.length = 0;
    expect(await main(['status', '--db', ledger.path, '--json'], io)).toBe(0);
    const json = JSON.parse(out.join('')) as { agents: Array<{ id: string; remote: boolean }> };
    expect(json.agents.map((a) => [a.id, a.remote])).toEqual([
      ['far-1', true],
      ['local-1', false],
    ]);
  });
});
