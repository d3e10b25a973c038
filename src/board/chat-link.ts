import type { ChannelConfig } from '../config/config-schema.ts';

/** Where the swarm's channel is, as far as building a link to one of its messages goes. */
export type ChatLinkTarget =
  | { platform: 'discord'; guildId: string | undefined; channelId: string }
  | { platform: 'telegram'; chatId: string }
  | { platform: 'none' };

/** The link target of a configured channel (the console has no links). */
export function chatLinkTargetOf(channel: ChannelConfig): ChatLinkTarget {
  switch (channel.platform) {
    case 'discord':
      return { platform: 'discord', guildId: channel.guildId, channelId: channel.channelId };
    case 'telegram':
      return { platform: 'telegram', chatId: String(channel.chatId) };
    default:
      return { platform: 'none' };
  }
}

/**
 * A link that opens a message in the chat app, or null when the platform has none for it: Discord
 * needs the server (guild) id; Telegram links only supergroups (`-100…` ids) and public `@name` chats.
 * @see https://discord.com/developers/docs/reference#message-formatting
 * @see https://core.telegram.org/api/links#message-links
 */
export function chatLinkOf(target: ChatLinkTarget, messageId: string): string | null {
  if (!/^\d{1,25}$/.test(messageId)) return null;
  if (target.platform === 'discord') {
    if (!target.guildId || !/^\d{17,20}$/.test(target.guildId) || !/^\d{17,20}$/.test(target.channelId))
      return null;
    return `https://discord.com/channels/${target.guildId}/${target.channelId}/${messageId}`;
  }
  if (target.platform === 'telegram') {
    const supergroup = /^-100(\d{1,20})$/.exec(target.chatId);
    if (supergroup) return `https://t.me/c/${supergroup[1]}/${messageId}`;
    const publicName = /^@([A-Za-z0-9_]{4,32})$/.exec(target.chatId);
    if (publicName) return `https://t.me/${publicName[1]}/${messageId}`;
  }
  return null;
}
