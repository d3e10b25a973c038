/**
 * The chat-port contract: one suite of behaviours every ChatPort adapter must pass (memory, console,
 * Telegram, Discord). An adapter's test file calls `describeChatPortContract(name, makeHarness)`;
 * the harness drives the real adapter against its platform (a loopback fake server for Telegram and
 * Discord, streams for the console) and reports what a person in the channel would see.
 *
 * How to write a harness (instructions for adapter authors)
 * - `makeHarness()` runs once per test, so each test gets fresh platform state. It returns a port
 *   that is NOT started: the suite calls `port.start(handler)` itself.
 * - `postAsHuman` posts as a person (not a bot) through the platform, exactly as a real client would:
 *   on a fake server, inject the message server-side (Telegram: queue an update; Discord: store the
 *   message and emit MESSAGE_CREATE). It must work while the port is stopped, too.
 * - `transcript()` is what a person sees in the channel, every message in posting order (people's
 *   and other bots' too), rendered to plain text: decode Telegram HTML entities and drop the tags,
 *   unescape Discord markdown. If the adapter's formatting would render `*bold*` as bold, the
 *   rendered text must lose the asterisks, so that markup injection fails the suite.
 * - `close()` stops the latest port and releases every server, socket, stream and timer.
 * - Deliveries are awaited with a timeout (`deliveryTimeoutMs`, default 10 s) and never with fixed
 *   sleeps; the suite synchronises on a later "marker" message instead of waiting for silence.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatPort, SentMessage, TaskAnchor } from '../../src/chat/chat-port.ts';
import { createMessageCollector, waitFor } from './message-collector.ts';

/** One message as a person sees it in the channel. */
export interface TranscriptEntry {
  messageId: string;
  /** Display name of the account that posted it (the bot's name, or the person's name). */
  authorName: string;
  /** True when the swarm posted it (the port's bot, or an agent's own bot). */
  fromSwarm: boolean;
  /**
   * The agent a person sees as speaking: the label the adapter rendered for an agent without its own
   * bot (parse it out of the message), or the agent whose own bot account posted it. Omit otherwise.
   */
  speaker?: string;
  /** The emphasised first line, as plain text, when the message has one. */
  heading?: string;
  /** The body as plain rendered text, without the heading line and without the speaker label. */
  text: string;
  /** The task's main message id when this message sits under it (Discord thread, Telegram reply). */
  underMessageId?: string;
  /** The message this one replies to (not counting the reply Telegram uses to place it under a task). */
  replyToMessageId?: string;
  /** Discord thread id or Telegram topic id, when the message is in one. */
  threadId?: string;
  /** How many times the message was edited. */
  edits: number;
  /** File names attached to the message. */
  attachments?: string[];
  /**
   * Who the message notifies through mentions (user ids, role ids, 'everyone'), as the platform would
   * resolve them with the allowed-mentions the adapter sent. Omit on platforms without mentions.
   */
  mentions?: string[];
}

/** Options for posting as a person. */
export interface HumanPostOptions {
  /** Reply to this platform message id. */
  replyTo?: string;
  /** Post in the details area of this task main message (Discord: its thread; Telegram: a reply to it). */
  under?: SentMessage;
}

/** What an adapter's test gives the contract suite. */
export interface ChatHarness {
  /** The adapter under test, not started. */
  port: ChatPort;
  /** The channel / chat id the port listens on; incoming messages must carry it as channelId. */
  channelId: string;
  /** The person `postAsHuman` posts as; incoming messages must carry this id and name. */
  human: { id: string; name: string };
  /**
   * Simulates a process restart: called after `port.stop()`; returns a port that is not started and
   * shares the platform state and any cursor store with the old one (a new instance, or the same one
   * if the adapter supports start after stop). `close()` must stop this one as well.
   */
  restartPort(): Promise<ChatPort>;
  /** Posts as `human`; resolves with the platform message id once the platform has accepted it. */
  postAsHuman(text: string, options?: HumanPostOptions): Promise<string>;
  /** Posts as another bot that is not part of the swarm. Omit where bots cannot see each other. */
  postAsOtherBot?(text: string): Promise<void>;
  /** Every message in the channel, in posting order, as a person sees it. */
  transcript(): Promise<TranscriptEntry[]>;
  capabilities: {
    /** `port.edit` exists and changes what a person sees. */
    edit: boolean;
    /** Messages posted while the port was stopped are delivered after the next start. */
    catchUp: boolean;
    /** `under` posts go to a per-task details area and the transcript reports underMessageId. */
    details: boolean;
  };
  /** An agent configured with its own bot account, and that bot's display name. */
  ownBotSpeaker?: { speaker: string; authorName: string };
  /** Upper bound for any one delivery or transcript wait; default 10 s. */
  deliveryTimeoutMs?: number;
  /** Stops every port the harness made and releases every server, socket, stream and timer. */
  close(): Promise<void>;
}

/** Text that would be markup or a mention if an adapter forgot to escape it. */
export const HOSTILE_TEXT =
  '<b>&amp; *bold* _x_ **y** `code` ~~s~~ ||spoiler|| [link](http://x.test) @everyone <@123> <@&456>';

let nonceCounter = 0;
function nextNonce(): string {
  nonceCounter += 1;
  return `contract-${nonceCounter}`;
}

/** Deterministic text of exactly `length` characters, optionally dense with markup characters. */
export function textOfLength(length: number, alphabet = 'abcdefghij klmnopqrst\nuvwxyz 0123456789'): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += alphabet[i % alphabet.length];
  return out.slice(0, length);
}

const MARKUP_ALPHABET = 'a*b_c`d~e|f<g>h&i[j]k(l)m\\n#o-p.q!r@s ';

/** Registers the contract tests for one adapter. */
export function describeChatPortContract(name: string, makeHarness: () => Promise<ChatHarness>): void {
  describe(`ChatPort contract: ${name}`, () => {
    let h: ChatHarness;
    let port: ChatPort;
    const timeout = (): number => h.deliveryTimeoutMs ?? 10_000;

    beforeEach(async () => {
      h = await makeHarness();
      port = h.port;
    });
    afterEach(async () => {
      await h.close();
    });

    const entryFor = (messageId: string): Promise<TranscriptEntry> =>
      waitFor(
        `transcript entry ${messageId}`,
        async () => (await h.transcript()).find((e) => e.messageId === messageId),
        timeout(),
      );
    const anchorFor = (sent: SentMessage): TaskAnchor => ({
      messageId: sent.messageId,
      taskId: 'T-1',
      title: 'Contract task',
    });

    it('stop() before start() resolves, twice', async () => {
      await port.stop();
      await port.stop();
    });

    it('names the chat it posts to as platform:id, the same after a restart', async () => {
      // The console keeps no messages to edit later, so it names none.
      if (port.destination === undefined) return expect(port.platform).toBe('console');
      expect(port.destination).toBe(`${port.platform}:${h.channelId}`);
      await port.stop();
      port = await h.restartPort();
      expect(port.destination).toBe(`${port.platform}:${h.channelId}`);
    });

    it('delivers a human message once, with its fields', async () => {
      const inbox = createMessageCollector();
      await port.start(inbox.handler);
      const text = 'hello swarm <b>&amp; *x* /status';
      const id = await h.postAsHuman(text);
      const marker = await h.postAsHuman('marker');
      const got = await inbox.waitForId(id, timeout());
      await inbox.waitForId(marker, timeout());
      expect(got.platform).toBe(port.platform);
      expect(got.channelId).toBe(h.channelId);
      expect(got.text).toBe(text);
      expect(got.author).toMatchObject({ id: h.human.id, name: h.human.name, isBot: false });
      expect(Number.isFinite(got.sentAt) && got.sentAt > 1e12).toBe(true);
      expect(got.replyToMessageId).toBeUndefined();
      expect(inbox.count(id)).toBe(1);
    });

    it('a handler that throws does not stop later deliveries', async () => {
      const inbox = createMessageCollector();
      let calls = 0;
      await port.start(async (m) => {
        calls += 1;
        if (calls === 1) throw new Error('handler failure on purpose');
        await inbox.handler(m);
      });
      await h.postAsHuman('first');
      const second = await h.postAsHuman('second');
      await inbox.waitForId(second, timeout());
    });

    it('send returns distinct ids and shows hostile text literally, pinging no one', async () => {
      await port.start(async () => {});
      const a = await port.send({ text: HOSTILE_TEXT, nonce: nextNonce() });
      const b = await port.send({ text: 'second', nonce: nextNonce() });
      expect(a.messageId).not.toBe(b.messageId);
      const entry = await entryFor(a.messageId);
      expect(entry.text).toBe(HOSTILE_TEXT);
      expect(entry.fromSwarm).toBe(true);
      expect(entry.heading).toBeUndefined();
      if (entry.mentions !== undefined) expect(entry.mentions).toEqual([]);
      expect((await entryFor(b.messageId)).text).toBe('second');
    });

    it('shows the heading apart from the text', async () => {
      await port.start(async () => {});
      const sent = await port.send({
        heading: 'T-3 claimed *by* <designer>',
        text: 'body line\nsecond line',
        nonce: nextNonce(),
      });
      const entry = await entryFor(sent.messageId);
      expect(entry.heading).toBe('T-3 claimed *by* <designer>');
      expect(entry.text).toBe('body line\nsecond line');
    });

    it('edit replaces the heading and the text', async ({ skip }) => {
      skip(!h.capabilities.edit, 'adapter cannot edit');
      await port.start(async () => {});
      const sent = await port.send({ heading: 'T-1 queued', text: 'waiting', nonce: nextNonce() });
      await port.edit!(sent, { heading: 'T-1 claimed', text: 'by designer-001 & <co>' });
      const entry = await entryFor(sent.messageId);
      expect(entry.heading).toBe('T-1 claimed');
      expect(entry.text).toBe('by designer-001 & <co>');
      expect(entry.edits).toBeGreaterThanOrEqual(1);
    });

    it('editing to the same text succeeds', async ({ skip }) => {
      skip(!h.capabilities.edit, 'adapter cannot edit');
      await port.start(async () => {});
      const sent = await port.send({ heading: 'T-2 done', text: 'same *text*', nonce: nextNonce() });
      await port.edit!(sent, { heading: 'T-2 done', text: 'same *text*' });
      const entry = await entryFor(sent.messageId);
      expect(entry.heading).toBe('T-2 done');
      expect(entry.text).toBe('same *text*');
    });

    it('posts under a task land under its main message', async ({ skip }) => {
      skip(!h.capabilities.details, 'adapter has no details area');
      await port.start(async () => {});
      const main = await port.send({ heading: 'T-1 queued', text: 'Contract task', nonce: nextNonce() });
      const anchor = anchorFor(main);
      const first = await port.send({ text: 'detail one', under: anchor, nonce: nextNonce() });
      const second = await port.send({ text: 'detail two', under: anchor, nonce: nextNonce() });
      const top = await port.send({ text: 'top level', nonce: nextNonce() });
      const e1 = await entryFor(first.messageId);
      const e2 = await entryFor(second.messageId);
      expect(e1.underMessageId).toBe(main.messageId);
      expect(e2.underMessageId).toBe(main.messageId);
      expect(e1.text).toBe('detail one');
      expect(second.threadId).toBe(first.threadId);
      expect((await entryFor(top.messageId)).underMessageId).toBeUndefined();
    });

    it('a human post under a task is delivered with its thread or reply', async ({ skip }) => {
      skip(!h.capabilities.details, 'adapter has no details area');
      const inbox = createMessageCollector();
      await port.start(inbox.handler);
      const main = await port.send({ heading: 'T-1 blocked', text: 'question?', nonce: nextNonce() });
      const detail = await port.send({ text: 'details start', under: anchorFor(main), nonce: nextNonce() });
      const id = await h.postAsHuman('answer under the task', { under: main });
      const got = await inbox.waitForId(id, timeout());
      expect(got.text).toBe('answer under the task');
      expect(got.channelId).toBe(h.channelId);
      const inThread = detail.threadId !== undefined && got.threadId === detail.threadId;
      const asReply = got.replyToMessageId === main.messageId;
      expect(inThread || asReply).toBe(true);
    });

    it('a human reply carries replyToMessageId', async () => {
      const inbox = createMessageCollector();
      await port.start(inbox.handler);
      const question = await port.send({
        speaker: 'designer-001',
        text: 'Which colour?',
        nonce: nextNonce(),
      });
      const id = await h.postAsHuman('blue', { replyTo: question.messageId });
      const got = await inbox.waitForId(id, timeout());
      expect(got.replyToMessageId).toBe(question.messageId);
      expect(got.text).toBe('blue');
    });

    it("a swarm reply to a person's message carries replyToMessageId", async () => {
      const inbox = createMessageCollector();
      await port.start(inbox.handler);
      const command = await h.postAsHuman('/status');
      await inbox.waitForId(command, timeout());
      const sent = await port.send({ text: 'all quiet', replyToMessageId: command, nonce: nextNonce() });
      const entry = await entryFor(sent.messageId);
      expect(entry.replyToMessageId).toBe(command);
      expect(entry.text).toBe('all quiet');
    });

    it('accepts plain text of exactly maxTextLength and shows it whole', async () => {
      await port.start(async () => {});
      const text = textOfLength(port.limits.maxTextLength);
      const sent = await port.send({ text, nonce: nextNonce() });
      expect((await entryFor(sent.messageId)).text).toBe(text);
    });

    it('accepts markup-dense text of exactly maxTextLength and shows it whole', async () => {
      await port.start(async () => {});
      const text = textOfLength(port.limits.maxTextLength, MARKUP_ALPHABET);
      const sent = await port.send({ text, nonce: nextNonce() });
      expect((await entryFor(sent.messageId)).text).toBe(text);
    });

    it('accepts a heading and text whose lengths add up to maxTextLength', async () => {
      await port.start(async () => {});
      const heading = 'T-9 done *fast*';
      const text = textOfLength(port.limits.maxTextLength - heading.length);
      const sent = await port.send({ heading, text, nonce: nextNonce() });
      const entry = await entryFor(sent.messageId);
      expect(entry.heading).toBe(heading);
      expect(entry.text).toBe(text);
    });

    it("never delivers the port's own sends or other bots' messages", async () => {
      const inbox = createMessageCollector();
      await port.start(inbox.handler);
      await port.send({ text: 'from the swarm', nonce: nextNonce() });
      await port.send({ speaker: 'designer-001', text: 'from an agent', nonce: nextNonce() });
      if (h.postAsOtherBot) await h.postAsOtherBot('from a stranger bot');
      const marker = await h.postAsHuman('marker');
      await inbox.waitForId(marker, timeout());
      expect(inbox.messages.map((m) => m.text)).toEqual(['marker']);
      expect(inbox.messages.every((m) => !m.author.isBot)).toBe(true);
    });

    it('stop() is idempotent and ends deliveries', async () => {
      const before = createMessageCollector();
      await port.start(before.handler);
      const early = await h.postAsHuman('before stop');
      await before.waitForId(early, timeout());
      await port.stop();
      await port.stop();
      await h.postAsHuman('while stopped');
      port = await h.restartPort();
      const after = createMessageCollector();
      await port.start(after.handler);
      const marker = await h.postAsHuman('after restart');
      await after.waitForId(marker, timeout());
      expect(before.messages.map((m) => m.text)).toEqual(['before stop']);
    });

    it('with catch-up, delivers a message posted while stopped after restart', async ({ skip }) => {
      skip(!h.capabilities.catchUp, 'adapter has no catch-up');
      const first = createMessageCollector();
      await port.start(first.handler);
      const seen = await h.postAsHuman('seen live');
      await first.waitForId(seen, timeout());
      await port.stop();
      const missed = await h.postAsHuman('posted while down');
      port = await h.restartPort();
      const second = createMessageCollector();
      await port.start(second.handler);
      const got = await second.waitForId(missed, timeout());
      expect(got.text).toBe('posted while down');
      const marker = await h.postAsHuman('marker');
      await second.waitForId(marker, timeout());
      expect(second.count(missed)).toBe(1);
      // The message the first run already handled is not replayed.
      expect(second.count(seen)).toBe(0);
    });

    it('shows the speaker name for an agent without its own bot', async () => {
      await port.start(async () => {});
      const sent = await port.send({
        speaker: 'designer-001',
        heading: 'T-3',
        text: 'claimed',
        nonce: nextNonce(),
      });
      const entry = await entryFor(sent.messageId);
      expect(entry.speaker).toBe('designer-001');
      expect(entry.heading).toBe('T-3');
      expect(entry.text).toBe('claimed');
    });

    it('posts as the agent bot for an agent with its own bot', async ({ skip }) => {
      skip(h.ownBotSpeaker === undefined, 'harness configures no agent bot');
      const own = h.ownBotSpeaker!;
      await port.start(async () => {});
      const sent = await port.send({ speaker: own.speaker, text: 'from my own account', nonce: nextNonce() });
      const entry = await entryFor(sent.messageId);
      expect(entry.authorName).toBe(own.authorName);
      expect(entry.fromSwarm).toBe(true);
      expect(entry.text).toBe('from my own account');
    });

    it('attaches a file and shows its name', async () => {
      await port.start(async () => {});
      const content = Buffer.from('line 1\nline 2\n');
      const sent = await port.send({
        text: 'full output attached',
        attachment: { fileName: 'output.txt', content },
        nonce: nextNonce(),
      });
      const entry = await entryFor(sent.messageId);
      expect(entry.attachments).toContain('output.txt');
    });
  });
}
