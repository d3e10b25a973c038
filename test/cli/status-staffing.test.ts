import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { tempDir } from '../support/temp-ledger.ts';

describe('chat-swarm status', () => {
  it('says on a queued task when no online agent can take it', async () => {
    const db = join(tempDir(), 'swarm.db');
    const ledger = Ledger.open(db);
    ledger.createTask({ title: 'Logo', skills: ['design'] }, 'test');
    ledger.createTask({ title: 'Parser', skills: ['code'] }, 'test');
    ledger.registerAgent({ id: 'coder-1', skills: ['code'], capacity: 1 });
    ledger.close();
    const out: string[] = [];
    const code = await main(['status', '--db', db], { out: (t) => void out.push(t), err: () => {}, env: {} });
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('T-1 · Logo — queued · no online agent has skill design');
    expect(out.join('\n')).toContain('T-2 · Parser — queued\n');
  });
});
