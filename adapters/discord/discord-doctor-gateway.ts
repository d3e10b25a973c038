/**
 * `chat-swarm doctor`'s gateway login: the only sure test of the MessageContent intent, since
 * Discord closes the gateway with 4014 when the intent is off.
 */
import { Client, Events, GatewayIntentBits, type RESTOptions } from 'discord.js';
import type { DoctorCheck } from '../../src/chat/doctor-report.ts';
import type { Logger } from '../../src/core/logger.ts';
import { classifyFailure, DEVELOPER_PORTAL, hostOf } from './discord-doctor-failure.ts';
import { watchGateway } from './discord-gateway-log.ts';

/** What the gateway probe logs in with. */
export interface GatewayProbeOptions {
  token: string;
  apiBase?: string | undefined;
  /** How long the login may take before the probe gives up on it. */
  timeoutMs: number;
}

/**
 * Logs in with the swarm's intents; Discord closes the gateway with 4014 when MessageContent is off.
 * Gives up after `timeoutMs` (discord.js would keep retrying a gateway that turns it away),
 * saying what the gateway last did.
 */
export async function probeGateway(
  options: GatewayProbeOptions,
  rest: Partial<RESTOptions>,
  say: (t: string) => string,
  log: Logger,
): Promise<DoctorCheck> {
  const gateway = watchGateway({ log, secrets: [options.token] });
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    rest,
    ws: { buildStrategy: gateway.buildStrategy },
  });
  client.on(Events.ShardError, gateway.onError);
  const timeoutMs = options.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const closeText = (): string => {
    const last = gateway.lastClose();
    return last ? `; last close ${last.code} (${last.name}): ${last.advice}` : '';
  };
  try {
    const outcome = await Promise.race([client.login(options.token).then(() => 'ready' as const), timedOut]);
    if (outcome === 'timeout') {
      return {
        name: 'gateway login',
        ok: false,
        detail: say(`no connection to the gateway within ${Math.round(timeoutMs / 1_000)} s${closeText()}`),
        fix: 'Check that this machine can open a WebSocket to gateway.discord.gg (proxy, firewall), and https://discordstatus.com',
      };
    }
    return {
      name: 'gateway login',
      ok: true,
      detail: 'connected with intents Guilds, GuildMessages, MessageContent',
    };
  } catch (err) {
    const last = gateway.lastClose();
    const disallowed =
      last?.code === 4014 || (err instanceof Error && /disallowed intents/i.test(err.message));
    if (disallowed) {
      return {
        name: 'gateway login',
        ok: false,
        detail: 'Discord closed the gateway with 4014 (disallowed intents)',
        fix: `In ${DEVELOPER_PORTAL} → your application → Bot, turn on Message Content Intent`,
      };
    }
    if (last?.fatal) {
      return {
        name: 'gateway login',
        ok: false,
        detail: `Discord closed the gateway with ${last.code} (${last.name})`,
        fix: last.advice,
      };
    }
    const failure = classifyFailure(err, 'log in to the gateway', hostOf(options.apiBase), say);
    return { name: 'gateway login', ok: false, detail: failure.detail, fix: failure.fix };
  } finally {
    clearTimeout(timer);
    gateway.stop();
    await client.destroy();
  }
}
