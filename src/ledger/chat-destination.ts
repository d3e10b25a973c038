import { FINAL_STATUSES } from '../core/types.ts';
import { getKv, setKv } from './kv-ops.ts';
import type { LedgerCore } from './ledger-core.ts';
import { refreshStatusMessages } from './agent-work.ts';

/** kv key of the message that holds the checkpoint, so a restarted orchestrator edits the same one. */
export const CHECKPOINT_MESSAGE_KEY = 'checkpoint_message';

/** kv key of the chat a channel posts to (`ChatPort.destination`). */
const destinationKey = (channel: string): string => `chat_destination:${channel}`;
/** kv key of when the channel last moved to another chat (ms since the epoch). */
const movedAtKey = (channel: string): string => `chat_destination_since:${channel}`;
/** kv key of the chat a chat was upgraded into while the swarm ran (a Telegram supergroup). */
const upgradedKey = (destination: string): string => `chat_upgraded:${destination}`;

/** Where a channel's task messages from an earlier chat are kept: `main@telegram:-100…`. */
export const archivedChannel = (channel: string, destination: string): string => `${channel}@${destination}`;

/**
 * How the destination came: `configured` when a process starts (the config names the chat),
 * `followed` when the port changed it while running (Telegram: the group was upgraded to a
 * supergroup, which the config may still not name).
 */
export type DestinationSource = 'configured' | 'followed';

/**
 * Since when the channel's messages are in its present chat: messages sent before were posted in
 * another chat, where their ids name other messages. 0 when it never moved. Lookups of a platform
 * message id among the outbox's sent rows count only rows sent since (a row without a send time,
 * from an older version, only while the channel never moved).
 */
export function postedInChatSince(core: LedgerCore, channel: string): number {
  const since = Number(getKv(core, movedAtKey(channel)) ?? 0);
  // Damaged by hand: as if it never moved, rather than matching nothing at all.
  return Number.isFinite(since) ? since : 0;
}

/**
 * Records that `channel` now posts to `destination` and returns the chat it posted to before, when
 * that was another one. Then, in the same transaction:
 * - the task messages posted there (which message to edit, where a task's details go) move under
 *   `archivedChannel(channel, old)`: a message id names a message of one chat only (Telegram
 *   numbers them per chat), so editing it in the new chat would change someone else's message;
 * - the pinned checkpoint message is forgotten, and pending replies lose their reply target, for
 *   the same reason;
 * - every open task's status is queued, so the new chat shows it (as a new message);
 * - replies are matched only to messages sent since (`postedInChatSince`).
 *
 * The first destination recorded (a new ledger, or one from before destinations were recorded) is
 * taken to be where the existing rows were posted. A configured chat that was upgraded, while a
 * swarm ran, into the recorded one is the recorded one: the port follows the upgrade again at its
 * first call, and nothing moves.
 */
export function adoptChatDestination(
  core: LedgerCore,
  channel: string,
  destination: string,
  source: DestinationSource,
): string | undefined {
  return core.write(() => {
    const before = getKv(core, destinationKey(channel));
    if (before === destination) return undefined;
    if (before !== undefined && source === 'configured' && upgradedInto(core, destination, before))
      return undefined;
    setKv(core, destinationKey(channel), destination);
    if (before === undefined) return undefined;
    if (source === 'followed') setKv(core, upgradedKey(before), destination);
    setKv(core, movedAtKey(channel), String(core.now()));
    // OR REPLACE: a task archived from this chat on an earlier move keeps only its newest messages.
    core
      .sql('UPDATE OR REPLACE task_messages SET channel = ? WHERE channel = ?')
      .run(archivedChannel(channel, before), channel);
    core.sql('DELETE FROM kv WHERE key = ?').run(CHECKPOINT_MESSAGE_KEY);
    core
      .sql(
        `UPDATE outbox SET payload = json_remove(payload, '$.replyToMessageId')
         WHERE channel = ? AND status = 'pending' AND json_extract(payload, '$.replyToMessageId') IS NOT NULL`,
      )
      .run(channel);
    const final = [...FINAL_STATUSES];
    const open = core
      .sql(`SELECT id FROM tasks WHERE status NOT IN (${final.map(() => '?').join(',')}) ORDER BY seq`)
      .pluck()
      .all(...final) as string[];
    refreshStatusMessages(core, open, [channel]);
    return before;
  });
}

/** Whether `from` was upgraded, directly or through a few upgrades, into `to`. */
function upgradedInto(core: LedgerCore, from: string, to: string): boolean {
  let at = from;
  for (let hops = 0; hops < 8; hops++) {
    const next = getKv(core, upgradedKey(at));
    if (next === undefined) return false;
    if (next === to) return true;
    at = next;
  }
  return false;
}
