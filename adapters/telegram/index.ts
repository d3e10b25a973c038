/** The Telegram adapter's public surface: the channel factory and `chat-swarm doctor`'s checks. */
export {
  createTelegramChannel,
  DEFAULT_TELEGRAM_CHANNEL,
  type TelegramChannel,
  type TelegramChannelDeps,
  type TelegramChannelOptions,
} from './telegram-channel.ts';
export {
  publishBotCommands,
  TELEGRAM_COMMAND_LIMITS,
  toTelegramBotCommands,
  type TelegramBotCommand,
} from './telegram-bot-commands.ts';
export { diagnoseTelegram, type TelegramDoctorDeps } from './telegram-doctor.ts';
export { DEFAULT_TELEGRAM_POLLING, type TelegramPollingOptions } from './telegram-poller.ts';
export { DEFAULT_TELEGRAM_RATE_LIMITS, type TelegramRateLimits } from './telegram-rate-limiter.ts';
export { diagnoseTelegramRemote } from './telegram-remote-doctor.ts';
