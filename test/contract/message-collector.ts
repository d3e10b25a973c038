import type { IncomingMessage, MessageHandler } from '../../src/chat/chat-port.ts';

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A message handler that records every delivery, for asserting counts and fields. */
export interface MessageCollector {
  readonly handler: MessageHandler;
  readonly messages: IncomingMessage[];
  /** Resolves with the first delivery whose messageId is `messageId`. */
  waitForId(messageId: string, timeoutMs: number): Promise<IncomingMessage>;
  /** How many times `messageId` was delivered. */
  count(messageId: string): number;
}

/** Creates an empty collector; its handler never throws. */
export function createMessageCollector(): MessageCollector {
  const messages: IncomingMessage[] = [];
  return {
    messages,
    handler: async (message) => {
      messages.push(message);
    },
    waitForId: (messageId, timeoutMs) =>
      waitFor(
        `delivery of message ${messageId}`,
        () => messages.find((m) => m.messageId === messageId),
        timeoutMs,
      ),
    count: (messageId) => messages.filter((m) => m.messageId === messageId).length,
  };
}
