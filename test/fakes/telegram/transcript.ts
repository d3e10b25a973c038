/** A chat's history as people see it, for assertions: who said what, rendered, with replies and edits. */
import type { FakeChat, FakeTelegramWorld } from './fake-telegram-world.ts';
import type { TextEntity } from './telegram-html-parser.ts';

export interface TranscriptLine {
  messageId: number;
  fromId: number;
  /** Display name (first name) of the sender. */
  fromName: string;
  fromUsername?: string;
  isBot: boolean;
  /** Rendered text (or caption), without markup. */
  text: string;
  /** The HTML the bot sent, when it used parse_mode. */
  raw?: string;
  entities: TextEntity[];
  /** Message this one replies to (topic roots excluded: every topic message points at its root). */
  replyTo?: number;
  threadId?: number;
  /** Earlier texts, oldest first; empty when never edited. */
  edits: string[];
  document?: { fileName: string; size: number; content: Buffer };
  /** Service message kind, when it is one. */
  service?: string;
  date: number;
}

/** Builds the transcript of `chat` from the world's stored messages. */
export function transcriptOf(world: FakeTelegramWorld, chat: FakeChat): TranscriptLine[] {
  return [...chat.messages.values()]
    .sort((a, b) => a.messageId - b.messageId)
    .map((m) => {
      const from = world.account(m.fromId);
      const line: TranscriptLine = {
        messageId: m.messageId,
        fromId: from.id,
        fromName: from.firstName,
        isBot: from.isBot,
        text: m.text,
        entities: m.entities,
        edits: [...m.edits],
        date: m.date,
      };
      if (from.username !== undefined) line.fromUsername = from.username;
      if (m.raw !== undefined) line.raw = m.raw;
      if (m.replyTo !== undefined && m.replyTo !== m.threadId) line.replyTo = m.replyTo;
      if (m.threadId !== undefined) line.threadId = m.threadId;
      if (m.document)
        line.document = {
          fileName: m.document.fileName,
          size: m.document.content.length,
          content: m.document.content,
        };
      if (m.service) line.service = Object.keys(m.service)[0]!;
      return line;
    });
}
