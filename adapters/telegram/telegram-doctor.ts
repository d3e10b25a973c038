/**
 * `chat-swarm doctor` for Telegram: the orchestrator's token, the chat (exists, is a supergroup,
 * topic settings), whether the bot can read people's plain commands (admin or privacy off), and
 * each agent's token and membership, each failure with its fix.
 * @see https://core.telegram.org/bots/features#privacy-mode
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Api } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { DoctorCheck, DoctorReport } from '../../src/chat/doctor-report.ts';
import type { Logger } from '../../src/core/logger.ts';
import type { TelegramChannelOptions } from './telegram-channel.ts';
import { migrateToChatIdOf, toChatError } from './to-chat-error.ts';

export interface TelegramDoctorDeps {
  log: Logger;
}

type DoctorOptions = Pick<TelegramChannelOptions, 'token' | 'chatId' | 'topicId' | 'agentTokens' | 'apiRoot'>;

/** Runs every check; never throws for a platform problem (it becomes a failed check). */
export async function diagnoseTelegram(
  options: DoctorOptions,
  deps: TelegramDoctorDeps,
): Promise<DoctorReport> {
  const apiRoot = options.apiRoot ?? 'https://api.telegram.org';
  const agent = apiRoot.startsWith('https:')
    ? new HttpsAgent({ keepAlive: true })
    : new HttpAgent({ keepAlive: true });
  const tokens = [options.token, ...Object.values(options.agentTokens ?? {})];
  const apiFor = (token: string): Api =>
    new Api(token, { apiRoot, timeoutSeconds: 15, baseFetchConfig: { agent } });
  const reason = (err: unknown, method: string): string => toChatError(err, method, tokens).message;
  const checks: DoctorCheck[] = [];
  const chatId = /^-?\d+$/.test(String(options.chatId)) ? Number(options.chatId) : String(options.chatId);
  try {
    const api = apiFor(options.token);
    let me: UserFromGetMe;
    try {
      me = await api.getMe();
      checks.push({ name: 'orchestrator bot token', ok: true, detail: `token belongs to @${me.username}` });
    } catch (err) {
      checks.push({
        name: 'orchestrator bot token',
        ok: false,
        detail: reason(err, 'getMe'),
        fix: 'Set TELEGRAM_BOT_TOKEN (or the env var your config names) to the token @BotFather gave you (/mybots → API Token).',
      });
      return { platform: 'telegram', checks };
    }

    let canCheckMember = false;
    try {
      const chat = await api.getChat(chatId);
      if (chat.type === 'supergroup') {
        checks.push({ name: 'chat', ok: true, detail: `"${chat.title}" (${chat.id}) is a supergroup` });
        canCheckMember = true;
        if (options.topicId !== undefined && !chat.is_forum) {
          checks.push({
            name: 'forum topic',
            ok: false,
            detail: `topicId ${options.topicId} is set but the group has no topics`,
            fix: 'Turn on Topics in the group settings, or remove topicId from the config.',
          });
        }
        if (String(chat.id) !== String(options.chatId) && typeof chatId === 'string') {
          checks.push({
            name: 'chat id',
            ok: true,
            warning: true,
            detail: `${options.chatId} resolves to ${chat.id}`,
            fix: `Prefer chatId: ${chat.id}.`,
          });
        }
      } else {
        checks.push({
          name: 'chat',
          ok: false,
          detail: `chat ${chat.id} is a ${chat.type}, not a supergroup`,
          fix: 'Use a supergroup: in a basic group every bot sees different message ids. Upgrading (e.g. making the group public or turning on topics, then back) gives it a new -100… id; put that id in the config.',
        });
      }
    } catch (err) {
      const migrated = migrateToChatIdOf(err);
      checks.push({
        name: 'chat',
        ok: false,
        detail: reason(err, 'getChat'),
        fix:
          migrated !== undefined
            ? `The group was upgraded to a supergroup: set chatId to ${migrated}.`
            : 'Add the orchestrator bot to the group and check chatId (a supergroup id starts with -100; see docs/telegram.md for how to find it).',
      });
    }

    if (canCheckMember) {
      let isAdmin = false;
      try {
        const member = await api.getChatMember(chatId, me.id);
        isAdmin = member.status === 'administrator' || member.status === 'creator';
      } catch (err) {
        deps.log.debug('Telegram doctor: getChatMember failed', { error: reason(err, 'getChatMember') });
      }
      const readsAll = isAdmin || me.can_read_all_group_messages;
      checks.push(
        readsAll
          ? {
              name: 'reads commands',
              ok: true,
              detail: isAdmin
                ? `@${me.username} is an admin: it receives every message`
                : `@${me.username} has privacy mode off`,
            }
          : {
              name: 'reads commands',
              ok: false,
              detail: `@${me.username} is in privacy mode and not an admin: it only receives /cmd@${me.username} and replies to its own messages`,
              fix: `Make @${me.username} an admin of the group (no rights needed), or in @BotFather: /setprivacy → @${me.username} → Disable, then remove and re-add the bot to the group.`,
            },
      );
    }

    for (const [agentId, token] of Object.entries(options.agentTokens ?? {})) {
      const name = `agent ${agentId} bot`;
      const agentApi = apiFor(token);
      let agentMe: UserFromGetMe;
      try {
        agentMe = await agentApi.getMe();
      } catch (err) {
        checks.push({
          name,
          ok: false,
          detail: reason(err, 'getMe'),
          fix: `Check the token for ${agentId} (from @BotFather), or remove it so ${agentId} speaks through the orchestrator bot.`,
        });
        continue;
      }
      let inGroup = !canCheckMember;
      if (canCheckMember) {
        try {
          const member = await agentApi.getChatMember(chatId, agentMe.id);
          inGroup = member.status !== 'left' && member.status !== 'kicked';
        } catch (err) {
          // A bot outside the group cannot even look the group up.
          deps.log.debug('Telegram doctor: agent getChatMember failed', {
            agentId,
            error: reason(err, 'getChatMember'),
          });
        }
      }
      checks.push(
        inGroup
          ? { name, ok: true, detail: `token belongs to @${agentMe.username}` }
          : {
              name,
              ok: false,
              detail: `@${agentMe.username} is not in the group`,
              fix: `Add @${agentMe.username} to the group.`,
            },
      );
    }
    return { platform: 'telegram', checks };
  } finally {
    agent.destroy();
  }
}
