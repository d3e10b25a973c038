import type { Clock } from '../core/types.ts';
import type { MessageAction } from './chat-port.ts';

/** One message in the memory channel, as a person would see it. */
export interface MemoryTranscriptEntry {
  messageId: string;
  authorId: string;
  authorName: string;
  isBot: boolean;
  /** True for messages the port itself sent. */
  fromSwarm: boolean;
  speaker?: string;
  heading?: string;
  text: string;
  /** Main message id of the task this message sits under (also its threadId). */
  underMessageId?: string;
  replyToMessageId?: string;
  threadId?: string;
  edits: number;
  nonce?: string;
  attachment?: { fileName: string; content: Buffer };
  /** Buttons under the message, as last sent or edited. */
  actions?: MessageAction[];
  /** Set on a prompt for text (the reply box opens on it where the platform can). */
  promptsReply?: { placeholder: string };
  sentAt: number;
}

/** The memory channel's messages in posting order, and which of them are pinned. */
export interface MemoryTranscript {
  /** A fresh id from the channel's one counter (messages and interactions share it). */
  newId(): string;
  /** Appends a message, giving it an id, no edits and the clock's time. */
  post(entry: Omit<MemoryTranscriptEntry, 'messageId' | 'edits' | 'sentAt'>): MemoryTranscriptEntry;
  /** The message itself (not a copy), to edit it in place. */
  find(messageId: string): MemoryTranscriptEntry | undefined;
  /** Every message in posting order (copies). */
  copies(): MemoryTranscriptEntry[];
  pin(messageId: string): void;
  /** Unpins a message, or every one. */
  unpin(messageId?: string): void;
  /** Ids of pinned messages, oldest pin first (a copy). */
  pinnedIds(): string[];
  /** Removes a message and its pin. */
  remove(messageId: string): void;
}

/** Creates an empty transcript whose messages are stamped by `clock`. */
export function createMemoryTranscript(clock: Clock): MemoryTranscript {
  const entries: MemoryTranscriptEntry[] = [];
  let pinned: string[] = [];
  let nextId = 1;
  const newId = (): string => String(nextId++);
  return {
    newId,
    post(entry) {
      const full: MemoryTranscriptEntry = { ...entry, messageId: newId(), edits: 0, sentAt: clock.now() };
      entries.push(full);
      return full;
    },
    find: (messageId) => entries.find((e) => e.messageId === messageId),
    copies: () => entries.map((e) => ({ ...e })),
    pin(messageId) {
      pinned.push(messageId);
    },
    unpin(messageId) {
      pinned = messageId === undefined ? [] : pinned.filter((id) => id !== messageId);
    },
    pinnedIds: () => [...pinned],
    remove(messageId) {
      const i = entries.findIndex((e) => e.messageId === messageId);
      if (i >= 0) entries.splice(i, 1);
      pinned = pinned.filter((id) => id !== messageId);
    },
  };
}
