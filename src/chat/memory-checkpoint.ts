import type { CheckpointBoard } from './chat-port.ts';
import type { MemoryTranscript, MemoryTranscriptEntry } from './memory-transcript.ts';

/**
 * The memory channel's checkpoint board: a pinned message of the swarm's, edited in place while it
 * exists. `injectedFailure` throws when a test asked for the next call to fail.
 */
export function createMemoryCheckpoint(
  transcript: MemoryTranscript,
  botName: string,
  injectedFailure: () => void,
): CheckpointBoard {
  return {
    async publish(text, previous) {
      injectedFailure();
      const existing = previous && transcript.find(previous.messageId);
      if (existing) {
        if (existing.text !== text) {
          existing.text = text;
          existing.edits += 1;
        }
        return { messageId: existing.messageId };
      }
      const entry = transcript.post({
        authorId: 'swarm',
        authorName: botName,
        isBot: true,
        fromSwarm: true,
        text,
      });
      transcript.pin(entry.messageId);
      return { messageId: entry.messageId };
    },
    async read() {
      injectedFailure();
      return transcript
        .pinnedIds()
        .reverse()
        .map((id) => transcript.find(id))
        .filter((e): e is MemoryTranscriptEntry => e !== undefined && e.fromSwarm)
        .map((e) => e.text);
    },
  };
}
