/** A line typed at the console, split into its reply target and its text. */
export interface ConsoleInput {
  text: string;
  /** Set when the line starts with `>#<id> ` (a reply to message #id). */
  replyToMessageId?: string;
}

const REPLY = /^>\s?#(\d+)\s+([\s\S]*)$/;

/**
 * Parses one input line. `>#7 blue` (also `> #7 blue`) replies to message #7 with "blue"; anything
 * else is a plain message. Returns undefined for blank lines, which carry nothing.
 */
export function parseConsoleInput(line: string): ConsoleInput | undefined {
  const trimmed = line.replace(/\r$/, '');
  if (trimmed.trim() === '') return undefined;
  const reply = REPLY.exec(trimmed);
  if (reply && reply[2]!.trim() !== '') return { text: reply[2]!, replyToMessageId: reply[1]! };
  return { text: trimmed };
}
