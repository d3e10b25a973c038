import { describe, expect, it } from 'vitest';
import { chatLinkOf } from '../../src/board/chat-link.ts';
import { budgetPerMinute } from '../../src/board/mirror-health.ts';
import { waitingReasonOf, type WaitingAgent, type WaitingTask } from '../../src/board/waiting-reason.ts';
import { PLATFORM_PACING } from '../../src/orchestrator/poster-options.ts';

const task = (over: Partial<WaitingTask> = {}): WaitingTask => ({
  status: 'queued',
  skills: ['design'],
  assignee: null,
  notBefore: 0,
  waitingReason: null,
  pendingDeps: [],
  ...over,
});
const agent = (over: Partial<WaitingAgent> = {}): WaitingAgent => ({
  id: 'designer-001',
  skills: ['design'],
  status: 'active',
  online: true,
  capacity: 1,
  held: 0,
  ...over,
});
const ctx = (agents: WaitingAgent[], over: { now?: number; swarmPaused?: boolean } = {}) => ({
  now: 1_000,
  swarmPaused: false,
  agents,
  ...over,
});

describe('why a queued task waits', () => {
  it('names the first thing in the claim’s way, in the claim’s order', () => {
    expect(waitingReasonOf(task({ status: 'claimed' }), ctx([]))).toBeNull();
    expect(waitingReasonOf(task({ waitingReason: 'T-1 failed' }), ctx([agent()]))).toMatchObject({
      kind: 'failed-dependency',
      text: 'T-1 failed',
    });
    expect(waitingReasonOf(task({ pendingDeps: ['T-1', 'T-2'] }), ctx([agent()]))).toMatchObject({
      kind: 'dependency',
      text: 'waiting for T-1, T-2',
    });
    expect(waitingReasonOf(task(), ctx([agent()], { swarmPaused: true }))).toMatchObject({ kind: 'paused' });
    expect(waitingReasonOf(task({ notBefore: 5_000 }), ctx([agent()]))).toMatchObject({
      kind: 'backoff',
      until: 5_000,
    });
    expect(waitingReasonOf(task(), ctx([agent({ skills: ['code'] })]))).toMatchObject({
      kind: 'no-agent',
      text: 'no online agent with skill design',
    });
    expect(waitingReasonOf(task(), ctx([agent({ online: false })]))).toMatchObject({ kind: 'no-agent' });
    expect(waitingReasonOf(task(), ctx([agent({ status: 'offline' })]))).toMatchObject({ kind: 'no-agent' });
    expect(waitingReasonOf(task(), ctx([agent({ status: 'paused' })]))).toMatchObject({
      kind: 'agent-paused',
    });
    expect(waitingReasonOf(task(), ctx([agent({ held: 1 })]))).toMatchObject({
      kind: 'busy',
      text: 'waiting for a free agent with skill design',
    });
    expect(waitingReasonOf(task(), ctx([agent({ held: 1 }), agent({ id: 'd2' })]))).toBeNull();
  });

  it('judges an assigned task by its agent only', () => {
    const assigned = task({ assignee: 'd2' });
    expect(waitingReasonOf(assigned, ctx([agent()]))).toMatchObject({
      kind: 'no-agent',
      text: 'no online agent d2 with skill design',
    });
    expect(waitingReasonOf(assigned, ctx([agent(), agent({ id: 'd2' })]))).toBeNull();
  });
});

describe('links to the chat and the message budget', () => {
  it('links Discord messages with a guild, Telegram supergroups and public chats, and nothing else', () => {
    const discord = {
      platform: 'discord',
      guildId: '123456789012345678',
      channelId: '223456789012345678',
    } as const;
    expect(chatLinkOf(discord, '323456789012345678')).toBe(
      'https://discord.com/channels/123456789012345678/223456789012345678/323456789012345678',
    );
    expect(chatLinkOf({ ...discord, guildId: undefined }, '323456789012345678')).toBeNull();
    expect(chatLinkOf({ platform: 'telegram', chatId: '-1001234567890' }, '42')).toBe(
      'https://t.me/c/1234567890/42',
    );
    expect(chatLinkOf({ platform: 'telegram', chatId: '@swarm_room' }, '42')).toBe(
      'https://t.me/swarm_room/42',
    );
    expect(chatLinkOf({ platform: 'telegram', chatId: '-4567' }, '42')).toBeNull();
    expect(chatLinkOf({ platform: 'telegram', chatId: '-1001234567890' }, '42"><script>')).toBeNull();
    expect(chatLinkOf({ platform: 'none' }, '42')).toBeNull();
  });

  it('turns the poster’s pacing into messages a minute', () => {
    expect(budgetPerMinute(PLATFORM_PACING.telegram!)).toBe(19);
    expect(budgetPerMinute(PLATFORM_PACING.discord!)).toBe(57);
    expect(budgetPerMinute({})).toBeNull();
  });
});
