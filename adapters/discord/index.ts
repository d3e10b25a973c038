/** The Discord adapter's public surface: the chat port factory and the doctor. */
export {
  createDiscordChannel,
  type DiscordChannelDeps,
  type DiscordChannelOptions,
} from './discord-channel.ts';
export { diagnoseDiscord, type DiscordDoctorOptions } from './discord-doctor.ts';
export { diagnoseDiscordRemote, type DiscordRemoteDoctorOptions } from './discord-remote-doctor.ts';
export { INVITE_PERMISSIONS } from './channel-permissions.ts';
