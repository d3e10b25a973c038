/**
 * What tests do on the fake server as people would: post in the channel or a thread (optionally as
 * a reply), read a channel's or thread's transcript, list threads, and look up the ids the fake made.
 */
import type { FakeBot, FakeDiscordState, FakeRole, FakeUser } from './fake-discord-state.ts';
import type { FakeMessages } from './fake-messages.ts';

export interface TranscriptEntry {
  id: string;
  authorId: string;
  authorName: string;
  isBot: boolean;
  content: string;
  nonce: string | null;
  allowedMentions: unknown;
  attachments: Array<{ filename: string; content: Buffer }>;
  edits: number;
  replyTo: string | null;
  hasThread: boolean;
  /** When the fake created it (ms, the fake's clock). */
  createdAt: number;
}

export interface ThreadInfo {
  id: string;
  name: string;
  parentId: string;
  archived: boolean;
}

export class FakeDiscordTestApi {
  constructor(
    readonly state: FakeDiscordState,
    protected readonly messages: FakeMessages,
  ) {}

  get guildId(): string {
    return this.state.guildId;
  }

  /** The first text channel's id. */
  get channelId(): string {
    const first = [...this.state.channels.values()].find((c) => c.parentId === null);
    if (!first) throw new Error('the fake has no text channel');
    return first.id;
  }

  channel(name: string): string {
    const c = [...this.state.channels.values()].find((x) => x.name === name && x.parentId === null);
    if (!c) throw new Error(`no channel named ${name}`);
    return c.id;
  }

  bot(name: string): FakeBot {
    const b = this.state.bots().find((x) => x.username === name);
    if (!b) throw new Error(`no bot named ${name}`);
    return b;
  }

  user(name: string): FakeUser {
    const u = [...this.state.users.values()].find((x) => x.username === name && !x.bot);
    if (!u) throw new Error(`no user named ${name}`);
    return u;
  }

  role(name: string): FakeRole {
    const r = [...this.state.roles.values()].find((x) => x.name === name);
    if (!r) throw new Error(`no role named ${name}`);
    return r;
  }

  /** Posts as a person (by user name) in a channel or thread; returns the new message id. */
  post(userName: string, content: string, opts: { channelId?: string; replyTo?: string } = {}): string {
    const user = this.user(userName);
    const reply = this.messages.create(user.id, opts.channelId ?? this.channelId, {
      content,
      ...(opts.replyTo ? { message_reference: { message_id: opts.replyTo } } : {}),
    });
    if (reply.status !== 200) throw new Error(`post failed: ${JSON.stringify(reply.body)}`);
    return (reply.body as { id: string }).id;
  }

  /** Posts as a bot (by name) without going through REST, e.g. a bot that is not part of the swarm. */
  postAsBot(botName: string, content: string, opts: { channelId?: string } = {}): string {
    const reply = this.messages.create(this.bot(botName).id, opts.channelId ?? this.channelId, { content });
    if (reply.status !== 200) throw new Error(`post failed: ${JSON.stringify(reply.body)}`);
    return (reply.body as { id: string }).id;
  }

  /** Messages of a channel or thread, oldest first. */
  transcript(channelId: string = this.channelId): TranscriptEntry[] {
    return (this.state.messages.get(channelId) ?? []).map((m) => {
      const author = this.state.users.get(m.authorId);
      return {
        id: m.id,
        authorId: m.authorId,
        authorName: author?.username ?? 'unknown',
        isBot: author?.bot ?? false,
        content: m.content,
        nonce: m.nonce,
        allowedMentions: m.allowedMentions,
        attachments: m.attachments.map((a) => ({ filename: a.filename, content: a.content })),
        edits: m.edits,
        replyTo: m.referenceId,
        hasThread: m.hasThread,
        createdAt: m.createdAt,
      };
    });
  }

  /** Threads, optionally only those under one channel. */
  threads(parentId?: string): ThreadInfo[] {
    const out: ThreadInfo[] = [];
    for (const c of this.state.channels.values()) {
      if (c.parentId === null || (parentId !== undefined && c.parentId !== parentId)) continue;
      out.push({ id: c.id, name: c.name, parentId: c.parentId, archived: c.archived });
    }
    return out;
  }
}
