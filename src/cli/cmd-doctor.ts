import { parseCliArgs } from './parse-cli-args.ts';
import { isHealthy, type DoctorReport } from '../chat/doctor-report.ts';
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
      const { diagnoseTelegram } = await import('../../adapters/telegram/index.ts');
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
      break;
    }
    case 'discord': {
      const { diagnoseDiscord } = await import('../../adapters/discord/index.ts');
      report = await diagnoseDiscord(
        {
          token: tokenFromEnv(channel.tokenEnv, 'the Discord channel', io.env),
          channelId: channel.channelId,
          ...(channel.guildId !== undefined ? { guildId: channel.guildId } : {}),
          ...(channel.apiBase !== undefined ? { apiBase: channel.apiBase } : {}),
        },
        { log: ctx.log },
      );
      break;
    }
  }
  report.checks.push(...checkPresetAgents(ctx.config.agents, ctx.configDir, io.env));
  if (values.json) io.out(JSON.stringify(report));
  else print(report, io);
  return isHealthy(report) ? EXIT.ok : EXIT.problem;
}
