/**
 * Several bots and people in one in-memory channel: each bot gets its own ChatPort, and what one
 * posts (or edits) reaches every other started port, in order, once; a port that is not started
 * gets it when it starts (like updates a platform keeps). Attachments are downloadable. A port can
 * be cut off (its sends fail as a network outage would, and it receives nothing until restored).
 */
import { ChatError } from '../../src/core/errors.ts';
import type {
  ChatPort,
  IncomingAttachment,
  IncomingMessage,
  MessageHandler,
  OutgoingMessage,
  SentMessage,
} from '../../src/chat/chat-port.ts';

export interface HubParticipant {
  id: string;
  name: string;
  isBot: boolean;
  /** What commands address it as (`/cmd@username`). */
  username?: string;
}

export interface HubEntry {
  messageId: string;
  authorId: string;
  text: string;
  edits: number;
  replyTo?: string;
  attachment?: { fileName: string; content: Buffer };
}

export interface HubPort extends ChatPort {
  edit(target: SentMessage, message: Pick<OutgoingMessage, 'heading' | 'text'>): Promise<void>;
  download(attachment: IncomingAttachment, maxBytes: number): Promise<Buffer>;
  readonly participant: HubParticipant;
}

interface Member {
  participant: HubParticipant;
  handler: MessageHandler | undefined;
  pending: IncomingMessage[];
  chain: Promise<void>;
  cut: boolean;
}

export class MemoryHub {
  readonly entries: HubEntry[] = [];
  private readonly members = new Map<string, Member>();
  private readonly files = new Map<string, Buffer>();
  private nextId = 1;

  constructor(private readonly limits = { maxTextLength: 2_000, maxAttachmentBytes: 10 * 1024 * 1024 }) {}

  /** A port that speaks as `participant`. */
  port(participant: HubParticipant): HubPort {
    const member: Member = {
      participant,
      handler: undefined,
      pending: [],
      chain: Promise.resolve(),
      cut: false,
    };
    this.members.set(participant.id, member);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the port's methods are not the hub's
    const hub = this;
    const failIfCut = (): void => {
      if (member.cut) throw new ChatError('network down (hub cut)', { permanent: false, retryAfterMs: 200 });
    };
    return {
      platform: 'memory',
      limits: this.limits,
      participant,
      async start(onMessage) {
        failIfCut();
        member.handler = onMessage;
        const waiting = member.pending.splice(0);
        for (const m of waiting) hub.deliverTo(member, m);
      },
      async stop() {
        member.handler = undefined;
        await member.chain;
      },
      async send(message) {
        failIfCut();
        const text = message.heading ? `${message.heading}\n${message.text}` : message.text;
        return { messageId: hub.publish(participant, text, message) };
      },
      async edit(target, message) {
        failIfCut();
        hub.editAs(
          participant,
          target.messageId,
          message.heading ? `${message.heading}\n${message.text}` : message.text,
        );
      },
      async download(attachment, maxBytes) {
        failIfCut();
        const content = hub.files.get(attachment.ref);
        if (!content) throw new ChatError(`no file ${attachment.ref}`, { permanent: true });
        if (content.length > maxBytes) throw new ChatError('file too large', { permanent: true });
        return content;
      },
    };
  }

  /** Posts as a person (or any participant, without a port). Returns the message id. */
  post(author: HubParticipant, text: string, options: { replyTo?: string } = {}): string {
    return this.publish(author, text, options.replyTo ? { replyToMessageId: options.replyTo } : {});
  }

  /** Edits a message as its author (people and bots alike). */
  editAs(author: HubParticipant, messageId: string, text: string): void {
    const entry = this.entries.find((e) => e.messageId === messageId);
    if (!entry) throw new ChatError(`unknown message ${messageId}`, { permanent: true });
    if (entry.authorId !== author.id) throw new ChatError('not the author', { permanent: true });
    if (entry.text === text) return;
    entry.text = text;
    entry.edits += 1;
    this.fanOut(author, this.toIncoming(author, entry, true));
  }

  /** Cuts a participant off the network (true) or brings it back (false). */
  setCut(id: string, cut: boolean): void {
    const member = this.members.get(id);
    if (!member) throw new Error(`no participant ${id}`);
    member.cut = cut;
    if (!cut) {
      const waiting = member.pending.splice(0);
      for (const m of waiting) this.deliverTo(member, m);
    }
  }

  /** Resolves once every delivery queued so far has been handled. */
  async idle(): Promise<void> {
    for (let i = 0; i < 5; i++) await Promise.all([...this.members.values()].map((m) => m.chain));
  }

  /** Messages by text, newest last, for assertions. */
  textsBy(authorId: string): string[] {
    return this.entries.filter((e) => e.authorId === authorId).map((e) => e.text);
  }

  private publish(
    author: HubParticipant,
    text: string,
    message: Pick<OutgoingMessage, 'replyToMessageId' | 'attachment'>,
  ): string {
    const entry: HubEntry = { messageId: String(this.nextId++), authorId: author.id, text, edits: 0 };
    if (message.replyToMessageId) entry.replyTo = message.replyToMessageId;
    if (message.attachment) {
      entry.attachment = { ...message.attachment };
      this.files.set(`file-${entry.messageId}`, message.attachment.content);
    }
    this.entries.push(entry);
    this.fanOut(author, this.toIncoming(author, entry, false));
    return entry.messageId;
  }

  private toIncoming(author: HubParticipant, entry: HubEntry, edited: boolean): IncomingMessage {
    const msg: IncomingMessage = {
      platform: 'memory',
      channelId: 'hub',
      messageId: entry.messageId,
      author: { id: author.id, name: author.name, isBot: author.isBot },
      text: entry.text,
      sentAt: Date.now(),
    };
    if (edited) msg.edited = true;
    if (entry.replyTo) msg.replyToMessageId = entry.replyTo;
    if (entry.attachment)
      msg.attachments = [
        {
          ref: `file-${entry.messageId}`,
          fileName: entry.attachment.fileName,
          size: entry.attachment.content.length,
        },
      ];
    return msg;
  }

  private fanOut(author: HubParticipant, msg: IncomingMessage): void {
    for (const member of this.members.values()) {
      if (member.participant.id === author.id) continue;
      const copy: IncomingMessage = { ...msg };
      if (member.participant.username) copy.botUsername = member.participant.username;
      if (member.handler && !member.cut) this.deliverTo(member, copy);
      else member.pending.push(copy);
    }
  }

  private deliverTo(member: Member, msg: IncomingMessage): void {
    member.chain = member.chain.then(async () => {
      if (!member.handler || member.cut) {
        member.pending.push(msg);
        return;
      }
      try {
        await member.handler(msg);
      } catch {
        // A failing handler is the test's business; the hub goes on.
      }
    });
  }
}
