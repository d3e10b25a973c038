/**
 * The button capability of the chat port, for every adapter that has buttons (memory, Telegram,
 * Discord): a message's actions show as buttons a person can press, edits replace or remove them,
 * a press reaches the handler as an interaction naming the person and the button's data, and the
 * handler's answer is shown to that person only. Adapters without buttons (the console) are not
 * run here; they show actions as text hints.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_ACTION_DATA_BYTES,
  type ChatPort,
  type IncomingMessage,
  type MessageAction,
} from '../../src/chat/chat-port.ts';
import { waitFor } from './message-collector.ts';

/** What an adapter's test gives the button suite. */
export interface ButtonHarness {
  /** The adapter, not started. */
  port: ChatPort;
  channelId: string;
  /** The person who presses; incoming interactions must carry this id and name. */
  human: { id: string; name: string };
  /** The buttons a person sees under a message, in order. */
  buttonsOf(messageId: string): Promise<Array<{ label: string; data: string }>>;
  /**
   * Presses the button labelled `label` under the message as `human`; resolves with what the person
   * was then told privately (a Telegram toast, a Discord ephemeral reply), once it was told.
   */
  press(messageId: string, label: string): Promise<string>;
  deliveryTimeoutMs?: number;
  close(): Promise<void>;
}

let nonce = 0;
const nextNonce = (): string => `buttons-${++nonce}`;

const action = (label: string, data: string, extra: Partial<MessageAction> = {}): MessageAction => ({
  label,
  data,
  style: 'primary',
  command: `/${label.toLowerCase()} T-1`,
  ...extra,
});

/** Registers the button contract tests for one adapter. */
export function describeButtonContract(name: string, makeHarness: () => Promise<ButtonHarness>): void {
  describe(`ChatPort buttons: ${name}`, () => {
    let h: ButtonHarness;
    const timeout = (): number => h.deliveryTimeoutMs ?? 10_000;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.close();
    });

    const shown = (messageId: string, labels: string[]) =>
      waitFor(
        `buttons ${labels.join(', ')}`,
        async () => {
          const buttons = await h.buttonsOf(messageId);
          return JSON.stringify(buttons.map((b) => b.label)) === JSON.stringify(labels) ? buttons : undefined;
        },
        timeout(),
      );

    it('shows actions as buttons; an edit shows exactly the actions it names', async () => {
      await h.port.start(async () => {});
      const longest = `ts1:a:${'K'.repeat(MAX_ACTION_DATA_BYTES - 'ts1:a::1'.length)}:1`;
      const sent = await h.port.send({
        heading: 'T-1 · review',
        text: 'awaiting review',
        nonce: nextNonce(),
        actions: [
          action('Approve', longest, { style: 'success' }),
          action('Reject', 'ts1:j:T-1:1', { style: 'danger' }),
        ],
      });
      const buttons = await shown(sent.messageId, ['Approve', 'Reject']);
      expect(buttons[0]!.data).toBe(longest);
      await h.port.edit!(sent, {
        heading: 'T-1 · failed',
        text: 'failed',
        actions: [action('Retry', 'ts1:r:T-1:2')],
      });
      await shown(sent.messageId, ['Retry']);
      // Same text, other buttons: still an edit the person sees.
      await h.port.edit!(sent, {
        heading: 'T-1 · failed',
        text: 'failed',
        actions: [action('Retry', 'ts1:r:T-1:3')],
      });
      expect((await h.buttonsOf(sent.messageId))[0]!.data).toBe('ts1:r:T-1:3');
      await h.port.edit!(sent, { heading: 'T-1 · done', text: 'done', actions: [] });
      await shown(sent.messageId, []);
      await h.port.edit!(sent, {
        heading: 'T-1 · failed',
        text: 'failed',
        actions: [action('Retry', 'ts1:r:T-1:4')],
      });
      await shown(sent.messageId, ['Retry']);
      await h.port.edit!(sent, { heading: 'T-1 · failed', text: 'failed again' });
      await shown(sent.messageId, []);
    });

    it('delivers a press as an interaction from the person and shows the answer to them', async () => {
      const presses: IncomingMessage[] = [];
      await h.port.start(async (message) => {
        if (!message.interaction) return;
        presses.push(message);
        await message.interaction.ack({ ok: true, text: 'noted: cancelled' });
      });
      const sent = await h.port.send({
        heading: 'T-1 · working',
        text: 'working',
        nonce: nextNonce(),
        actions: [action('Cancel', 'ts1:c:T-1:5', { style: 'secondary' })],
      });
      await shown(sent.messageId, ['Cancel']);
      const told = await h.press(sent.messageId, 'Cancel');
      expect(told).toContain('noted: cancelled');
      expect(presses).toHaveLength(1);
      const press = presses[0]!;
      expect(press.platform).toBe(h.port.platform);
      expect(press.channelId).toBe(h.channelId);
      expect(press.author).toMatchObject({ id: h.human.id, name: h.human.name, isBot: false });
      expect(press.interaction).toMatchObject({ kind: 'button', data: 'ts1:c:T-1:5' });
      // The interaction's id is the inbox key: never the id of a message.
      expect(press.messageId).not.toBe(sent.messageId);
    });

    it('answers a press the handler ignores, so the person is never left waiting', async () => {
      await h.port.start(async () => {});
      const sent = await h.port.send({
        text: 'x',
        nonce: nextNonce(),
        actions: [action('Retry', 'ts1:r:T-1:9')],
      });
      await shown(sent.messageId, ['Retry']);
      expect(await h.press(sent.messageId, 'Retry')).toMatch(/try again/);
    });
  });
}
