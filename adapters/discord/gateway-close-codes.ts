/**
 * What each gateway close code means for the person running the swarm, and whether discord.js
 * tries again by itself. Codes 4004 and 4010–4014 end the connection for good.
 * @see https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes
 */

/** A close code explained: its name, what to do, and whether the client stops reconnecting. */
export interface GatewayClose {
  code: number;
  name: string;
  advice: string;
  /** Discord says not to reconnect after it (discord.js gives up). */
  fatal: boolean;
}

const PORTAL = 'https://discord.com/developers/applications';

const KNOWN: Record<number, Omit<GatewayClose, 'code'>> = {
  1000: { name: 'normal close', advice: 'reconnecting', fatal: false },
  1001: { name: 'going away', advice: 'Discord is moving the connection; reconnecting', fatal: false },
  1006: {
    name: 'connection lost',
    advice:
      'the connection dropped or was refused (network, proxy or firewall in the way of gateway.discord.gg?); reconnecting',
    fatal: false,
  },
  1011: { name: 'server error', advice: "Discord's gateway failed; reconnecting", fatal: false },
  4000: { name: 'unknown error', advice: 'reconnecting', fatal: false },
  4001: { name: 'unknown opcode', advice: 'a client bug; reconnecting', fatal: false },
  4002: { name: 'decode error', advice: 'a client bug; reconnecting', fatal: false },
  4003: { name: 'not authenticated', advice: 'reconnecting', fatal: false },
  4004: {
    name: 'authentication failed',
    advice: `the bot token is wrong or was reset: copy a new one from the Bot page in ${PORTAL} into DISCORD_BOT_TOKEN`,
    fatal: true,
  },
  4005: { name: 'already authenticated', advice: 'reconnecting', fatal: false },
  4007: { name: 'invalid sequence', advice: 'starting a new session', fatal: false },
  4008: { name: 'rate limited', advice: 'sent too fast; reconnecting', fatal: false },
  4009: { name: 'session timed out', advice: 'starting a new session', fatal: false },
  4010: { name: 'invalid shard', advice: 'the shard settings are wrong', fatal: true },
  4011: {
    name: 'sharding required',
    advice: 'the bot is in too many servers for one connection; this swarm does not shard',
    fatal: true,
  },
  4012: { name: 'invalid API version', advice: 'update discord.js', fatal: true },
  4013: {
    name: 'invalid intents',
    advice: 'the intents value is not valid (a client bug or a discord.js too old for the gateway)',
    fatal: true,
  },
  4014: {
    name: 'disallowed intents',
    advice: `enable "Message Content Intent" under Bot → Privileged Gateway Intents in ${PORTAL}`,
    fatal: true,
  },
};

/** The explanation of `code`; unknown codes are treated as transient, as discord.js does. */
export function describeGatewayClose(code: number): GatewayClose {
  const known = KNOWN[code];
  if (known) return { code, ...known };
  return { code, name: 'unexpected close', advice: 'reconnecting', fatal: false };
}
