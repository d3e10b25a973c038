/**
 * `chat-swarm doctor`'s remote-agent part on Telegram: what each bot needs for the protocol to reach
 * it. Messages between bots arrive only under Bot-to-Bot Communication Mode (on for at least one of
 * the two bots, in @BotFather), addressed `/verb@bot`; so each bot must be in the group, and each
 * configured handle must be that bot's username. The Bot API does not report the mode (getMe has no
 * field for it), so that check is shown as unchecked, with the fix.
 * @see https://core.telegram.org/api/bots/bot-to-bot
 */
import { Api, GrammyError } from 'grammy';
import type { DoctorCheck } from '../../src/chat/doctor-report.ts';
import { toChatError } from './to-chat-error.ts';

export interface RemotePeer {
  /** How the check names it: `remote agent coder-002`, or `orchestrator`. */
  name: string;
  botUserId: string;
  /** The username the config addresses it by. */
  handle?: string;
}

export interface TelegramRemoteDoctorOptions {
  /** This side's bot: the orchestrator's, or the remote agent's own. */
  token: string;
  chatId: number | string;
  apiRoot?: string;
  /** Whose part is checked besides this bot's: the remote agents, or the orchestrator. */
  peers: RemotePeer[];
  /** Which side runs doctor: the agent's own bot needs to be in the group too. */
  side: 'orchestrator' | 'agent';
  /** The handle this side's bot is configured as (an agent's: the orchestrator's config must match). */
  ownHandle?: string;
  timeoutMs?: number;
}

const MODE_FIX =
  'In @BotFather: /mybots → the bot → Bot Settings → Bot-to-Bot Communication → turn on, for every remote agent bot (or for the orchestrator bot). Without it on either side, no bot message reaches the other.';

/** The remote-agent checks; never throws (a failure becomes a failed or unchecked check). */
export async function diagnoseTelegramRemote(options: TelegramRemoteDoctorOptions): Promise<DoctorCheck[]> {
  const api = new Api(options.token, {
    apiRoot: options.apiRoot ?? 'https://api.telegram.org',
    timeoutSeconds: (options.timeoutMs ?? 5_000) / 1_000,
  });
  const chatId = /^-?\d+$/.test(String(options.chatId)) ? Number(options.chatId) : String(options.chatId);
  const checks: DoctorCheck[] = [];
  const why = (err: unknown, method: string): string => toChatError(err, method, [options.token]).message;

  let me;
  try {
    me = await api.getMe();
  } catch (err) {
    checks.push({
      name: 'remote: this bot',
      ok: false,
      unchecked: !(err instanceof GrammyError),
      detail: why(err, 'getMe'),
      fix: 'Check the bot token in the environment variable the config names.',
    });
    return checks;
  }
  if (options.side === 'agent') {
    const handleOk =
      options.ownHandle === undefined || options.ownHandle.toLowerCase() === me.username.toLowerCase();
    checks.push(
      handleOk
        ? {
            name: 'remote: this agent bot',
            ok: true,
            detail: `@${me.username} (user id ${me.id}): put this id and username in the orchestrator's remote.agents`,
          }
        : {
            name: 'remote: this agent bot',
            ok: false,
            detail: `configured as ${options.ownHandle}, but the token is @${me.username}'s`,
            fix: `Use handle "${me.username}" for this agent in the orchestrator's remote.agents.`,
          },
    );
    const self = await member(api, chatId, me.id);
    checks.push(
      self.in
        ? { name: 'remote: this bot in the group', ok: true, detail: `@${me.username} is ${self.status}` }
        : self.unknown
          ? { name: 'remote: this bot in the group', ok: false, unchecked: true, detail: self.unknown }
          : {
              name: 'remote: this bot in the group',
              ok: false,
              detail: `@${me.username} is not in the group`,
              fix: `Add @${me.username} to the group (a plain member is enough).`,
            },
    );
    if (self.in) checks.push(receivesCheck(me.username, me.can_read_all_group_messages, self.status));
  }
  for (const peer of options.peers) {
    const found = await member(api, chatId, Number(peer.botUserId));
    const name = `remote: ${peer.name}`;
    if (found.unknown) {
      checks.push({ name, ok: false, unchecked: true, detail: found.unknown });
      continue;
    }
    if (!found.in) {
      checks.push({
        name,
        ok: false,
        detail: `bot ${peer.botUserId} is not in the group`,
        fix: `Add the ${peer.name} bot to the group, and check its user id (the digits before ':' in its token).`,
      });
      continue;
    }
    if (peer.handle !== undefined && found.username?.toLowerCase() !== peer.handle.toLowerCase()) {
      checks.push({
        name,
        ok: false,
        detail: `configured as ${peer.handle}, but bot ${peer.botUserId} is @${found.username ?? '?'}`,
        fix: `Set its handle to "${found.username ?? ''}": messages reach it as /verb@${found.username ?? ''}.`,
      });
      continue;
    }
    checks.push({
      name,
      ok: true,
      detail: `@${found.username ?? peer.botUserId} is ${found.status} in the group`,
    });
  }
  checks.push({
    name: 'remote: Bot-to-Bot Communication Mode',
    ok: false,
    unchecked: true,
    // Shown with its fix, but it cannot fail the report: nothing here can see it either way.
    warning: true,
    detail:
      'the Bot API does not report it (getMe has no field for it); protocol messages reach a bot only when the mode is on for it or for the sender',
    fix: MODE_FIX,
  });
  return checks;
}

/**
 * What the agent's bot receives, from its privacy setting (getMe) and its status in the group. The
 * protocol addresses every message to it (`/verb@bot`), so a plain member with privacy on receives
 * all it needs; an admin, or a bot with privacy off, receives every bot message too (it ignores all
 * but the orchestrator's), which is more traffic, not a fault.
 */
function receivesCheck(username: string, readsAll: boolean, status: string | undefined): DoctorCheck {
  const admin = status === 'administrator' || status === 'creator';
  return {
    name: 'remote: admin or privacy (this bot)',
    ok: true,
    detail:
      admin || readsAll
        ? `@${username} is ${admin ? 'an admin' : 'a member with privacy mode off'}: with Bot-to-Bot Communication Mode on it receives every bot message in the group, and acts only on the orchestrator's; a plain member with privacy on would be enough`
        : `@${username} is a plain member with privacy mode on: it receives the messages addressed to it (/verb@${username}), which is all the protocol sends it`,
  };
}

async function member(
  api: Api,
  chatId: number | string,
  userId: number,
): Promise<{ in: boolean; status?: string; username?: string; unknown?: string }> {
  try {
    const m = await api.getChatMember(chatId, userId);
    const inGroup = m.status !== 'left' && m.status !== 'kicked';
    return { in: inGroup, status: m.status, ...(m.user.username ? { username: m.user.username } : {}) };
  } catch (err) {
    if (err instanceof GrammyError && err.error_code === 400) return { in: false };
    return { in: false, unknown: toChatError(err, 'getChatMember').message };
  }
}
