import type { Logger } from '../core/logger.ts';
import type { IncomingMessage, MessageHandler } from './chat-port.ts';

/** Hands incoming messages to the handler one at a time, in arrival order. */
export interface SerialDelivery {
  /** Queues a message; it is delivered now if a handler is attached, else when one is. */
  push(message: IncomingMessage): void;
  /** Attaches the handler (starts delivering) or detaches it (undefined: queue until attached again). */
  attach(handler: MessageHandler | undefined): void;
  readonly attached: boolean;
  /** Resolves once the queue is empty or no handler is attached. */
  idle(): Promise<void>;
}

/**
 * One delivery at a time, in order; a handler that throws is logged and the next message still
 * goes, so one bad message never stops a channel.
 */
export function createSerialDelivery(logger: Logger, what: string): SerialDelivery {
  const queue: IncomingMessage[] = [];
  let handler: MessageHandler | undefined;
  let pumping = false;
  let running: Promise<void> = Promise.resolve();

  const run = async (): Promise<void> => {
    try {
      while (handler && queue.length > 0) {
        const message = queue.shift()!;
        try {
          await handler(message);
        } catch (err) {
          logger.warn(`${what} message handler failed`, { messageId: message.messageId, error: String(err) });
        }
      }
    } finally {
      // Cleared before the promise settles, so a push right after the loop ends starts a new one.
      pumping = false;
    }
  };
  const pump = (): void => {
    if (pumping) return;
    pumping = true;
    running = run();
  };

  return {
    push(message) {
      queue.push(message);
      if (handler) pump();
    },
    attach(next) {
      handler = next;
      if (handler) pump();
    },
    get attached() {
      return handler !== undefined;
    },
    async idle() {
      while (pumping) await running;
    },
  };
}
