import { parseCliArgs } from './parse-cli-args.ts';
import { isHealthy, type DoctorReport } from '../chat/doctor-report.ts';
import { checkAgentCommands } from '../agents/check-command.ts';
import type { DoctorCheck } from '../chat/doctor-report.ts';
import type { SwarmConfig } from '../config/config-schema.ts';
import { tokenFromEnv } from '../config/load-config.ts';
import { cliContext, EXIT, type CliIo } from './cli-context.ts';
import { agentTokens } from './open-channel.ts';
import { checkPresetAgents } from '../presets/preset-registry.ts';

function print(report: DoctorReport, io: CliIo): void {
  io.out(`doctor: ${report.platform}`);
  for (const c of report.checks) {
    const mark = c.ok ? '✔' : c.unchecked ? '?' : c.warning ? '!' : '✘';
    io.out(`  ${mark} ${c.name}: ${c.detail}`);
    if (!c.ok && c.fix) io.out(`      fix: ${c.fix}`);
  }
}

/** `chat-swarm doctor`: checks the configured platform (token, chat, permissions), with fixes. */
export async function runDoctor(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCliArgs({
    args: argv,
    options: { config: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const ctx = cliContext(values, io);
  const channel = ctx.config.channel;
  let report: DoctorReport;
  switch (channel.platform) {
    case 'console':
      report = {
        platform: 'console',
        checks: [{ name: 'channel', ok: true, detail: 'console channel: nothing to check' }],
      };
      break;
    case 'telegram': {
      const { diagnoseTelegram, diagnoseTelegramRemote } = await import('../../adapters/telegram/index.ts');
      const remote = ctx.config.remote;
      if (remote.orchestrator) {
        // A remote agent's host: its own bot needs no admin rights, only the protocol's part.
        const agent = ctx.config.agents[0];
        const tokenEnv = agent?.tokenEnv ?? channel.tokenEnv;
        report = {
          platform: 'telegram',
          checks: await diagnoseTelegramRemote({
            token: tokenFromEnv(tokenEnv, 'the remote agent', io.env),
            chatId: channel.chatId,
            side: 'agent',
            peers: [
              {
                name: 'orchestrator',
                botUserId: remote.orchestrator.botUserId,
                ...(remote.orchestrator.handle !== undefined ? { handle: remote.orchestrator.handle } : {}),
              },
            ],
            ...(channel.apiRoot !== undefined ? { apiRoot: channel.apiRoot } : {}),
          }),
        };
        break;
      }
      report = await diagnoseTelegram(
        {
          token: tokenFromEnv(channel.tokenEnv, 'the Telegram channel', io.env),
          chatId: channel.chatId,
          agentTokens: agentTokens(ctx.config, io.env),
          ...(channel.topicId !== undefined ? { topicId: channel.topicId } : {}),
          ...(channel.apiRoot !== undefined ? { apiRoot: channel.apiRoot } : {}),
        },
        { log: ctx.log },
      );
      if (remote.agents.length > 0)
        report.checks.push(
          ...(await diagnoseTelegramRemote({
            token: tokenFromEnv(channel.tokenEnv, 'the Telegram channel', io.env),
            chatId: channel.chatId,
            side: 'orchestrator',
            peers: remote.agents.map((a) => ({
              name: `remote agent ${a.id}`,
              botUserId: a.botUserId,
              ...(a.handle !== undefined ? { handle: a.handle } : {}),
            })),
            ...(channel.apiRoot !== undefined ? { apiRoot: channel.apiRoot } : {}),
          })),
        );
      break;
    }
    case 'discord': {
      const { diagnoseDiscord, diagnoseDiscordRemote } = await import('../../adapters/discord/index.ts');
      const remote = ctx.config.remote;
      // A remote agent's host checks its own bot (token, intent, the channel) and the orchestrator's.
      const agentSide = remote.orchestrator !== undefined;
      const tokenEnv = (agentSide ? ctx.config.agents[0]?.tokenEnv : undefined) ?? channel.tokenEnv;
      const token = tokenFromEnv(tokenEnv, agentSide ? 'the remote agent' : 'the Discord channel', io.env);
      const where = {
        channelId: channel.channelId,
        ...(channel.guildId !== undefined ? { guildId: channel.guildId } : {}),
        ...(channel.apiBase !== undefined ? { apiBase: channel.apiBase } : {}),
      };
      report = await diagnoseDiscord(
        { token, ...where, ...(agentSide ? { remoteAgent: true } : {}) },
        { log: ctx.log },
      );
      const peers = remote.orchestrator
        ? [{ name: 'orchestrator', botUserId: remote.orchestrator.botUserId }]
        : remote.agents.map((a) => ({ name: `remote agent ${a.id}`, botUserId: a.botUserId }));
      if (peers.length > 0)
        report.checks.push(
          ...(await diagnoseDiscordRemote({
            token,
            ...where,
            peers,
            side: agentSide ? 'agent' : 'orchestrator',
          })),
        );
      break;
    }
  }
  report = {
    ...report,
    checks: [
      ...report.checks,
      ...agentCommandChecks(ctx.config, ctx.configDir, io.env),
      ...checkPresetAgents(ctx.config.agents, ctx.configDir, io.env),
    ],
  };
  if (values.json) io.out(JSON.stringify(report));
  else print(report, io);
  return isHealthy(report) ? EXIT.ok : EXIT.problem;
}

/**
 * One check per agent with a shell `command`: every program it names can start (see check-command.ts).
 * Preset agents are checked by `checkPresetAgents` instead.
 */
function agentCommandChecks(config: SwarmConfig, baseDir: string, env: NodeJS.ProcessEnv): DoctorCheck[] {
  const checks = checkAgentCommands(
    config.agents.flatMap((a) =>
      a.command === undefined
        ? []
        : [{ id: a.id, command: a.command, baseDir, path: a.env.PATH ?? env.PATH }],
    ),
  );
  return checks.map((c) => {
    const name = `agent ${c.agentId} command`;
    const bad = c.programs.filter((p) => !p.ok);
    if (bad.length > 0) {
      return {
        name,
        ok: false,
        detail: bad.map((p) => `${p.program} ${p.detail}`).join('; '),
        fix: bad.map((p) => p.fix ?? '').join('; '),
      };
    }
    const found = c.programs.map((p) => (p.detail === p.program ? p.program : `${p.program} (${p.detail})`));
    return {
      name,
      ok: true,
      detail:
        found.length > 0 ? `runs ${found.join(', ')}` : 'nothing to check before it runs (built at run time)',
    };
  });
}
