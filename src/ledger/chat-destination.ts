import { getKv, setKv } from './kv-ops.ts';
import type { LedgerCore } from './ledger-core.ts';

/** kv key of the chat a channel posts to (`ChatPort.destination`). */
const destinationKey = (channel: string): string => `chat_destination:${channel}`;
/** kv key of when the channel last moved to another chat (ms since the epoch). */
const movedAtKey = (channel: string): string => `chat_destination_since:${channel}`;

/**
 * Since when the channel's messages are in its present chat: messages sent before were posted in
 * another chat, where their ids name other messages. 0 when it never moved. Lookups of a platform
 * message id among the outbox's sent rows count only rows sent since (a row without a send time,
 * from an older version, only while the channel never moved).
 */
export function postedInChatSince(core: LedgerCore, channel: string): number {
  return Number(getKv(core, movedAtKey(channel)) ?? 0);
}

/** Where a channel's task messages from an earlier chat are kept: `main@telegram:-100…`. */
export const archivedChannel = (channel: string, destination: string): string => `${channel}@${destination}`;

/**
 * Records that `channel` now posts to `destination` and returns the chat it posted to before, when
 * that was another one. The task messages posted there (the rows that say which message to edit
 * and where a task's details go) are then moved under `archivedChannel(channel, old)`: a message
 * id names a message of one chat only (Telegram numbers them per chat), so editing it in the new
 * chat would change someone else's message. The task's next status is posted as a new message, and
 * replies to the old chat's ids are no longer taken for replies to the swarm (`postedInChatSince`).
 *
 * The first destination recorded (a new ledger, or one from before destinations were recorded) is
 * taken to be where the existing rows were posted.
 */
export function adoptChatDestination(
  core: LedgerCore,
  channel: string,
  destination: string,
): string | undefined {
  return core.write(() => {
    const before = getKv(core, destinationKey(channel));
    if (before === destination) return undefined;
    setKv(core, destinationKey(channel), destination);
    if (before === undefined) return undefined;
    setKv(core, movedAtKey(channel), String(core.now()));
    // OR REPLACE: a task archived from this chat on an earlier move keeps only its newest messages.
    core
      .sql('UPDATE OR REPLACE task_messages SET channel = ? WHERE channel = ?')
      .run(archivedChannel(channel, before), channel);
    return before;
  });
}
