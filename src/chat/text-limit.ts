import { ChatError } from '../core/errors.ts';
import type { ChatLimits, OutgoingMessage } from './chat-port.ts';

/**
 * Enforces the chat port's promise that `heading + text` fits `limits.maxTextLength`; a message
 * that does not is refused for good (a permanent ChatError), since retrying cannot make it fit.
 */
export function assertWithinTextLimit(
  limits: ChatLimits,
  message: Pick<OutgoingMessage, 'heading' | 'text'>,
): void {
  const length = (message.heading?.length ?? 0) + message.text.length;
  if (length > limits.maxTextLength) {
    throw new ChatError(`message too long: ${length} > ${limits.maxTextLength} characters`, {
      permanent: true,
    });
  }
}
