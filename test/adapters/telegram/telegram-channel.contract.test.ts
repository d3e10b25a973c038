import { expect } from 'vitest';
import {
  describeChatPortContract,
  type ChatHarness,
  type TranscriptEntry,
} from '../../contract/chat-port-contract.ts';
import { parseTelegramHtml } from '../../fakes/telegram/telegram-html-parser.ts';
import { createTelegramFixture } from './telegram-fixture.ts';

const OWN_BOT_AGENT = 'reviewer-001';
const withoutJoiners = (text: string): string => text.replaceAll('\u2060', '');

/** Reads the speaker label and heading back out of the HTML the adapter sent. */
function splitRendered(
  raw: string | undefined,
  rendered: string,
): { speaker?: string; heading?: string; text: string } {
  const out: { speaker?: string; heading?: string; text: string } = { text: rendered };
  if (raw === undefined) return out;
  let rest = raw;
  const speaker = /^<i>(.*?)<\/i>\n/s.exec(rest);
  if (speaker) {
    out.speaker = parseTelegramHtml(speaker[1]!).text;
    rest = rest.slice(speaker[0].length);
    out.text = out.text.slice(out.speaker.length + 1);
  }
  const heading = /^<b>(.*?)<\/b>(\n|$)/s.exec(rest);
  if (heading) {
    out.heading = parseTelegramHtml(heading[1]!).text;
    out.text = out.text.slice(out.heading.length + heading[2]!.length);
  }
  return out;
}

describeChatPortContract('telegram (grammY against the fake Bot API)', async (): Promise<ChatHarness> => {
  const fx = await createTelegramFixture();
  const swarmBots = new Map([
    [fx.orchestrator.id, undefined],
    [fx.agentBot.id, OWN_BOT_AGENT],
  ]);
  return {
    port: fx.channel(),
    channelId: String(fx.chat.id),
    human: { id: String(fx.alice.id), name: 'Alice' },
    restartPort: async () => fx.channel(),
    postAsHuman: async (text, options = {}) => {
      const replyTo = options.replyTo ?? options.under?.messageId;
      const posted = fx.fake.postAsUser(
        fx.chat.id,
        fx.alice.id,
        text,
        replyTo === undefined ? {} : { replyTo: Number(replyTo) },
      );
      return String(posted.messageId);
    },
    postAsOtherBot: async (text) => {
      fx.fake.postAsBot(fx.chat.id, fx.stranger.id, text);
    },
    transcript: async () => {
      const lines = fx.fake.transcript(fx.chat.id).filter((l) => l.service === undefined);
      const byId = new Map(lines.map((l) => [l.messageId, l]));
      return lines.map((line): TranscriptEntry => {
        const fromSwarm = swarmBots.has(line.fromId);
        const parts = fromSwarm ? splitRendered(line.raw, line.text) : { text: line.text };
        const entry: TranscriptEntry = {
          messageId: String(line.messageId),
          authorName: line.fromName,
          fromSwarm,
          // The word joiners that defuse `@name` are invisible: a person reads the text without them.
          text: withoutJoiners(parts.text),
          edits: line.edits.length,
          mentions: fx.fake
            .mentions(fx.chat.id)
            .filter((m) => m.messageId === line.messageId)
            .map((m) => `user:${m.userId}`),
        };
        const ownSpeaker = swarmBots.get(line.fromId);
        if (ownSpeaker !== undefined) entry.speaker = ownSpeaker;
        if (parts.speaker !== undefined) entry.speaker = withoutJoiners(parts.speaker);
        if (parts.heading !== undefined) entry.heading = withoutJoiners(parts.heading);
        if (line.replyTo !== undefined) {
          // Telegram shows both as a reply; one to a swarm message is how details sit under a task.
          const target = byId.get(line.replyTo);
          if (target !== undefined && swarmBots.has(target.fromId))
            entry.underMessageId = String(line.replyTo);
          else entry.replyToMessageId = String(line.replyTo);
        }
        if (line.threadId !== undefined) entry.threadId = String(line.threadId);
        if (line.document) entry.attachments = [line.document.fileName];
        return entry;
      });
    },
    capabilities: { edit: true, catchUp: true, details: true },
    ownBotSpeaker: { speaker: OWN_BOT_AGENT, authorName: 'Reviewer Bot' },
    deliveryTimeoutMs: 15_000,
    close: async () => {
      await fx.close();
      expect(fx.fake.stats().unknownCalls).toEqual([]);
      expect(fx.fake.stats().tooManyRequests).toBe(0);
    },
  };
});
