import type { TranscriptEntry } from '../../contract/chat-port-contract.ts';

const ANSI_SGR = /\x1b\[[0-9;]*m/g;
const HEADER = /^\[[^\]]*\] #(\d+)(?: (✎))?(?: ↳#(\d+) (\S+))?(?: ↩#(\d+))? (.*)$/;
const HUMAN = /^<([^>]*)> (.*)$/;
const SWARM = /^([^\s:]+)(: | ▸ )(.*)$/;
const TEXT_LINE = /^ +(?:\S+ )?│ (.*)$/;
const FILE_LINE = /^ +(?:\S+ )?📎 (.*) → (.*)$/;

/**
 * Reads what the console printed back into transcript entries, following the grammar documented in
 * console-render.ts; edits update the entry they name. Throws on a line that fits no rule, so a
 * rendering change that breaks the grammar fails loudly.
 */
export function parseConsoleOutput(printed: string, botName: string): TranscriptEntry[] {
  const entries = new Map<string, TranscriptEntry>();
  let current: { entry: TranscriptEntry; textLines: string[] } | undefined;
  const flush = (): void => {
    if (current) current.entry.text = current.textLines.join('\n');
    current = undefined;
  };
  // A one-line update rewritten in place (cursor up, clear line) replaces the line printed before it.
  const lines = printed
    .replace(ANSI_SGR, '')
    .replace(/[^\n]*\n\x1b\[1A\r\x1b\[2K/g, '')
    .split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const header = HEADER.exec(line);
    if (header) {
      flush();
      const [, id, edit, underId, , replyTo, rest] = header as unknown as [
        string,
        string,
        ...(string | undefined)[],
      ];
      if (id === undefined || rest === undefined) throw new Error(`unparseable console header: ${line}`);
      const human = HUMAN.exec(rest);
      const swarm = human ? null : SWARM.exec(rest);
      if (!human && !swarm) throw new Error(`unparseable console header: ${line}`);
      const previous = entries.get(id);
      const entry: TranscriptEntry = {
        messageId: id,
        authorName: human ? human[1]! : botName,
        fromSwarm: !human,
        text: '',
        edits: edit && previous ? previous.edits + 1 : 0,
      };
      if (swarm && swarm[1] !== botName) entry.speaker = swarm[1]!;
      if (underId !== undefined) Object.assign(entry, { underMessageId: underId, threadId: underId });
      if (replyTo !== undefined) entry.replyToMessageId = replyTo;
      else if (edit && previous?.replyToMessageId !== undefined)
        entry.replyToMessageId = previous.replyToMessageId;
      if (previous?.attachments) entry.attachments = previous.attachments;
      const inline = human ? human[2]! : swarm![3]!;
      // A one-line edit: `heading │ first line`; the lines below the first did not change.
      const split = edit && swarm?.[2] === ' ▸ ' ? inline.indexOf(' │ ') : -1;
      if (split >= 0) {
        entry.heading = inline.slice(0, split);
        const rest = (previous?.text ?? '').split('\n').slice(1);
        entries.set(id, entry);
        current = { entry, textLines: [inline.slice(split + 3), ...rest] };
        continue;
      }
      if (swarm?.[2] === ' ▸ ') entry.heading = inline;
      entries.set(id, entry);
      current = { entry, textLines: swarm?.[2] === ' ▸ ' ? [] : [inline] };
      continue;
    }
    const text = TEXT_LINE.exec(line);
    const file = text ? null : FILE_LINE.exec(line);
    if (!current || (!text && !file)) throw new Error(`unparseable console line: ${line}`);
    if (text) current.textLines.push(text[1]!);
    else (current.entry.attachments ??= []).push(file![1]!);
  }
  flush();
  return [...entries.values()];
}
