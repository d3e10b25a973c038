import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.ts';
import { ArbiterContext } from '../../src/remote/arbiter-context.ts';
import { send } from '../../src/remote/arbiter-sending.ts';
import { makeOffers } from '../../src/remote/offer-maker.ts';
import { decodeProtocol } from '../../src/remote/protocol-codec.ts';
import { manualClock, tempDir, tempLedger } from '../support/temp-ledger.ts';

const AGENTS = [
  { id: 'coder-1', botUserId: 'bot-1', handle: 'coder1_bot' },
  { id: 'coder-2', botUserId: 'bot-2', handle: 'coder2_bot' },
];

function setup() {
  const clock = manualClock();
  const ledger = tempLedger({ clock });
  const ctx = new ArbiterContext({
    ledger,
    channel: 'main',
    platform: 'memory',
    agents: AGENTS,
    log: silentLogger,
    workDir: tempDir(),
    maxTextChars: 4_000,
    settings: { offerTimeoutMs: 20_000, presenceTtlMs: 3_600_000 },
  });
  for (const [i, a] of AGENTS.entries()) {
    ledger.registerAgent({ id: a.id, skills: ['code'], capacity: 1 });
    // coder-1 has more room, so it is offered first.
    ctx.presence.set(a.id, {
      lastHeardAt: clock.now(),
      capacity: 2,
      free: 2 - i,
      skills: ['code'],
      statusMessageId: `hello-${a.id}`,
    });
  }
  /** Protocol rows in the outbox: [id, verb, addressee, status]. */
  const rows = () =>
    (
      ledger.core.sql("SELECT id, payload, status FROM outbox WHERE kind = 'reply' ORDER BY id").all() as {
        id: number;
        payload: string;
        status: string;
      }[]
    ).map((r) => {
      const d = decodeProtocol((JSON.parse(r.payload) as { text: string }).text);
      return d.ok ? { id: r.id, verb: d.message.verb, to: d.message.to, status: r.status } : undefined;
    });
  return { clock, ledger, ctx, rows };
}

describe('remote offers and acknowledgements under a backlog', () => {
  it('times an offer out only after it was posted, then offers the next agent', () => {
    const { clock, ledger, ctx, rows } = setup();
    ledger.createTask({ title: 'Backlogged', skills: ['code'] }, 'test');
    makeOffers(ctx);
    expect(rows()).toMatchObject([{ verb: 'offer', to: 'coder1_bot', status: 'pending' }]);
    // Still waiting behind the platform's limit a minute later: not offered again, to anyone.
    clock.advance(60_000);
    makeOffers(ctx);
    expect(rows()).toHaveLength(1);
    ledger.outbox.markSent(rows()[0]!.id, 'm-1');
    clock.advance(15_000);
    makeOffers(ctx);
    expect(rows()).toHaveLength(1);
    // Unclaimed 20 s after it reached the channel: the next agent gets it.
    clock.advance(6_000);
    makeOffers(ctx);
    expect(rows().map((r) => r?.to)).toEqual(['coder1_bot', 'coder2_bot']);
  });

  it('queues a repeated ack once while the first still waits, and again once it was posted', () => {
    const { ledger, ctx, rows } = setup();
    const agent = AGENTS[0]!;
    const ack = {
      verb: 'ack',
      to: agent.handle,
      tag: { taskId: 'T-1', attempt: 1 },
      outcome: 'done',
    } as const;
    const first = send(ctx, agent, ack);
    expect(send(ctx, agent, ack)).toBe(first);
    expect(rows()).toHaveLength(1);
    ledger.outbox.markSent(first, 'm-1');
    // Sent, and the result came again: the agent missed it, so it is said again.
    expect(send(ctx, agent, ack)).not.toBe(first);
    // Refusals are not merged: each bad message gets its own answer.
    const refused = { verb: 'refused', to: agent.handle, why: 'bad_message', detail: 'x' } as const;
    send(ctx, agent, refused);
    send(ctx, agent, refused);
    expect(rows().map((r) => r?.verb)).toEqual(['ack', 'ack', 'refused', 'refused']);
  });
});
