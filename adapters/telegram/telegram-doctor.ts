/**
 * `chat-swarm doctor` for Telegram: the tokens' shape (offline), then the orchestrator's token, the
 * chat (exists, is a supergroup, topic settings), whether the bot can read people's plain commands
 * (admin or privacy off), and each agent's token and membership, each failure with its fix. A
 * network failure is reported as the network's (naming the apiRoot host), never as a bad token, and
 * what could not be checked is marked unchecked rather than passed.
 * @see https://core.telegram.org/bots/features#privacy-mode
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Api, GrammyError } from 'grammy';
import type { ChatFromGetChat, UserFromGetMe } from 'grammy/types';
import type { DoctorCheck, DoctorReport } from '../../src/chat/doctor-report.ts';
import type { Logger } from '../../src/core/logger.ts';
import type { TelegramChannelOptions } from './telegram-channel.ts';
import { tokenShapeProblem } from './telegram-token-shape.ts';
import { migrateToChatIdOf, toChatError } from './to-chat-error.ts';

export interface TelegramDoctorDeps {
  log: Logger;
}

type DoctorOptions = Pick<
  TelegramChannelOptions,
  'token' | 'chatId' | 'topicId' | 'agentTokens' | 'apiRoot'
> & {
  /** How long one call may take before doctor calls the server unreachable. */
  timeoutMs?: number;
};

export const DEFAULT_TELEGRAM_DOCTOR = {
  timeoutMs: 5_000,
  /** A call slower than this gets a "still waiting" line, so a silent server is not a silent doctor. */
  slowCallMs: 1_500,
} as const;

const TOKEN_FIX =
  'Set TELEGRAM_BOT_TOKEN (or the env var your config names) to the token @BotFather gave you (/mybots → API Token).';

/** Why a call failed, as doctor tells it: the token, the request, Telegram's server, or the network. */
type Failure =
  | { kind: 'token'; detail: string }
  | { kind: 'refused'; detail: string; err: unknown }
  | { kind: 'server'; detail: string }
  | { kind: 'network'; detail: string };

/** Runs every check; never throws for a platform problem (it becomes a failed or unchecked check). */
export async function diagnoseTelegram(
  options: DoctorOptions,
  deps: TelegramDoctorDeps,
): Promise<DoctorReport> {
  const apiRoot = options.apiRoot ?? 'https://api.telegram.org';
  const host = hostOf(apiRoot);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TELEGRAM_DOCTOR.timeoutMs;
  const agent = apiRoot.startsWith('https:')
    ? new HttpsAgent({ keepAlive: true })
    : new HttpAgent({ keepAlive: true });
  const agentTokens = Object.entries(options.agentTokens ?? {});
  const tokens = [options.token, ...agentTokens.map(([, t]) => t)];
  const apiFor = (token: string): Api =>
    new Api(token, { apiRoot, timeoutSeconds: timeoutMs / 1_000, baseFetchConfig: { agent } });
  const checks: DoctorCheck[] = [];
  const chatId = /^-?\d+$/.test(String(options.chatId)) ? Number(options.chatId) : String(options.chatId);

  const classify = (err: unknown, method: string): Failure => {
    const detail = toChatError(err, method, tokens).message;
    if (err instanceof GrammyError && typeof err.error_code === 'number') {
      if (err.error_code === 401 || err.error_code === 404) return { kind: 'token', detail };
      if (err.error_code >= 400 && err.error_code < 500 && err.error_code !== 429)
        return { kind: 'refused', detail, err };
      return { kind: 'server', detail: `${host} answered with an error: ${detail}` };
    }
    if (err instanceof GrammyError)
      return { kind: 'server', detail: `${host} sent an odd answer: ${detail}` };
    return { kind: 'network', detail: `could not reach ${host}: ${detail}` };
  };

  /** Runs one call, saying so when it is slow; returns the result or why it failed. */
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<{ ok: T } | { failed: Failure }> => {
    const slow = setTimeout(
      () => deps.log.info(`Telegram doctor: still waiting for ${host} (${what})…`, { timeoutMs }),
      DEFAULT_TELEGRAM_DOCTOR.slowCallMs,
    );
    try {
      return { ok: await fn() };
    } catch (err) {
      return { failed: classify(err, what) };
    } finally {
      clearTimeout(slow);
    }
  };

  const unreachable = (failure: Failure): DoctorCheck => ({
    name: failure.kind === 'network' ? 'network' : 'Telegram server',
    ok: false,
    detail: failure.detail,
    fix:
      failure.kind === 'network'
        ? `Check this machine's connection, DNS and proxy settings for ${host} (apiRoot ${apiRoot}), then run doctor again (the token could not be checked with Telegram).`
        : `Telegram (or whatever answers at ${apiRoot}) failed on its side; try again in a minute. If apiRoot points at your own Bot API server or a proxy, check it.`,
  });
  const unchecked = (name: string, why: string): DoctorCheck => ({
    name,
    ok: false,
    unchecked: true,
    detail: `unchecked: ${why}`,
  });

  try {
    // Offline first: a pasted-wrong token is named before any waiting.
    const shape = tokenShapeProblem(options.token);
    const agentShapes = new Map(agentTokens.map(([id, token]) => [id, tokenShapeProblem(token)]));
    if (shape) deps.log.warn(`Telegram doctor: the orchestrator bot token looks wrong: ${shape}`);
    deps.log.info(`Telegram doctor: asking ${host} about the bot (gives up after ${timeoutMs / 1_000} s)…`);
    const api = apiFor(options.token);
    const got = await call('getMe', () => api.getMe());
    if ('failed' in got) {
      const failure = got.failed;
      if (failure.kind === 'token' || failure.kind === 'refused') {
        checks.push({
          name: 'orchestrator bot token',
          ok: false,
          detail: shape ? `${shape}; Telegram: ${failure.detail}` : `Telegram rejected it: ${failure.detail}`,
          fix: TOKEN_FIX,
        });
      } else {
        checks.push(unreachable(failure));
        checks.push(
          shape
            ? { name: 'orchestrator bot token', ok: false, detail: shape, fix: TOKEN_FIX }
            : unchecked('orchestrator bot token', `${host} could not be asked (its shape is right)`),
        );
        checks.push(unchecked('chat', `${host} could not be asked`));
      }
      for (const [agentId] of agentTokens) {
        checks.push(
          agentShapeCheck(agentId, agentShapes.get(agentId)) ??
            unchecked(`agent ${agentId} bot`, 'the orchestrator bot could not be checked first'),
        );
      }
      return { platform: 'telegram', checks };
    }
    const me: UserFromGetMe = got.ok;
    checks.push({
      name: 'orchestrator bot token',
      ok: true,
      ...(shape ? { warning: true, fix: 'It works, but check you copied the whole token.' } : {}),
      detail: shape
        ? `token belongs to @${me.username} (though ${shape})`
        : `token belongs to @${me.username}`,
    });

    let canCheckMember = false;
    const chatAnswer = await call('getChat', () => api.getChat(chatId));
    if ('ok' in chatAnswer) {
      canCheckMember = checkChat(chatAnswer.ok, options, chatId, checks);
    } else if (chatAnswer.failed.kind === 'refused' || chatAnswer.failed.kind === 'token') {
      const migrated = 'err' in chatAnswer.failed ? migrateToChatIdOf(chatAnswer.failed.err) : undefined;
      checks.push({
        name: 'chat',
        ok: false,
        detail: chatAnswer.failed.detail,
        fix:
          migrated !== undefined
            ? `The group was upgraded to a supergroup: set chatId to ${migrated}.`
            : 'Add the orchestrator bot to the group and check chatId (a supergroup id starts with -100; see docs/telegram.md for how to find it).',
      });
    } else {
      checks.push(unchecked('chat', chatAnswer.failed.detail));
    }

    if (canCheckMember) {
      const member = await call('getChatMember', () => api.getChatMember(chatId, me.id));
      if ('failed' in member && member.failed.kind !== 'refused') {
        checks.push(unchecked('reads commands', member.failed.detail));
      } else {
        const status = 'ok' in member ? member.ok.status : undefined;
        checks.push(readsCommandsCheck(me, status === 'administrator' || status === 'creator'));
      }
    }

    for (const [agentId, token] of agentTokens) {
      const name = `agent ${agentId} bot`;
      const shapeCheck = agentShapeCheck(agentId, agentShapes.get(agentId));
      const agentApi = apiFor(token);
      const agentMe = await call(`getMe for ${agentId}`, () => agentApi.getMe());
      if ('failed' in agentMe) {
        if (agentMe.failed.kind === 'token' || agentMe.failed.kind === 'refused') {
          checks.push(
            shapeCheck ?? {
              name,
              ok: false,
              detail: `Telegram rejected its token: ${agentMe.failed.detail}`,
              fix: `Check the token for ${agentId} (from @BotFather), or remove it so ${agentId} speaks through the orchestrator bot.`,
            },
          );
        } else {
          checks.push(shapeCheck ?? unchecked(name, agentMe.failed.detail));
        }
        continue;
      }
      const bot = agentMe.ok;
      if (!canCheckMember) {
        checks.push({ name, ok: true, detail: `token belongs to @${bot.username} (membership not checked)` });
        continue;
      }
      const member = await call(`getChatMember for ${agentId}`, () => agentApi.getChatMember(chatId, bot.id));
      if ('failed' in member && (member.failed.kind === 'network' || member.failed.kind === 'server')) {
        checks.push(
          unchecked(name, `token belongs to @${bot.username}; membership: ${member.failed.detail}`),
        );
        continue;
      }
      // A bot outside the group cannot even look the group up: a refusal means "not in the group".
      const inGroup = 'ok' in member && member.ok.status !== 'left' && member.ok.status !== 'kicked';
      checks.push(
        inGroup
          ? { name, ok: true, detail: `token belongs to @${bot.username}` }
          : {
              name,
              ok: false,
              detail: `@${bot.username} is not in the group`,
              fix: `Add @${bot.username} to the group.`,
            },
      );
    }
    return { platform: 'telegram', checks };
  } finally {
    agent.destroy();
  }
}

/** The chat checks; returns true when membership can be checked (the chat is a supergroup). */
function checkChat(
  chat: ChatFromGetChat,
  options: DoctorOptions,
  chatId: number | string,
  checks: DoctorCheck[],
): boolean {
  if (chat.type !== 'supergroup') {
    checks.push({
      name: 'chat',
      ok: false,
      detail: `chat ${chat.id} is a ${chat.type}, not a supergroup`,
      fix: 'Use a supergroup: in a basic group every bot sees different message ids. Upgrading (e.g. making the group public or turning on topics, then back) gives it a new -100… id; put that id in the config.',
    });
    return false;
  }
  checks.push({ name: 'chat', ok: true, detail: `"${chat.title}" (${chat.id}) is a supergroup` });
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
  return true;
}

function readsCommandsCheck(me: UserFromGetMe, isAdmin: boolean): DoctorCheck {
  if (isAdmin || me.can_read_all_group_messages) {
    return {
      name: 'reads commands',
      ok: true,
      detail: isAdmin
        ? `@${me.username} is an admin: it receives every message`
        : `@${me.username} has privacy mode off`,
    };
  }
  return {
    name: 'reads commands',
    ok: false,
    detail: `@${me.username} is in privacy mode and not an admin: it only receives /cmd@${me.username} and replies to its own messages`,
    fix: `Make @${me.username} an admin of the group (no rights needed), or in @BotFather: /setprivacy → @${me.username} → Disable, then remove and re-add the bot to the group.`,
  };
}

/** A failed check for an agent token of the wrong shape; undefined when its shape is right. */
function agentShapeCheck(agentId: string, problem: string | undefined): DoctorCheck | undefined {
  if (problem === undefined) return undefined;
  return {
    name: `agent ${agentId} bot`,
    ok: false,
    detail: problem,
    fix: `Check the token for ${agentId} (from @BotFather), or remove it so ${agentId} speaks through the orchestrator bot.`,
  };
}

/** The host (and port) of the Bot API root, for messages about the network. */
function hostOf(apiRoot: string): string {
  try {
    return new URL(apiRoot).host;
  } catch {
    return apiRoot;
  }
}
