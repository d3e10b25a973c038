import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { configSchema, type SwarmConfig } from './config-schema.ts';

export const DEFAULT_CONFIG_FILE = 'chat-swarm.json';
/** The `source` loadConfig reports when no config file exists. */
export const BUILT_IN = 'built-in default';

/** Validates a config object; a failure names each field and what to write instead. */
export function parseConfig(raw: unknown, source: string): SwarmConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const tokenKey = parsed.error.issues.some(
      (i) => i.code === 'unrecognized_keys' && i.keys.some((k) => /token/i.test(k)),
    );
    const hint = tokenKey
      ? '\nTokens never go in the config file: set "tokenEnv" to the NAME of an environment variable and export the token there.'
      : '';
    throw new ConfigError(
      `${source} is not a valid chat-swarm config:\n${z.prettifyError(parsed.error)}${hint}\nSee README.md, "Configuration".`,
    );
  }
  return parsed.data;
}

/**
 * Reads the config file. With no file at the default path, returns the embedded default (console
 * channel, no agents) so `chat-swarm` works on a fresh machine; a path given explicitly must exist.
 */
export function loadConfig(path: string | undefined): { config: SwarmConfig; source: string } {
  const file = resolve(path ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    if (path !== undefined)
      throw new ConfigError(`config file ${file} does not exist; create one with: chat-swarm init`);
    return { config: parseConfig({}, 'the built-in default config'), source: BUILT_IN };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError(`${file} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return { config: parseConfig(raw, file), source: file };
}

/** Reads a token from the environment variable the config names; the token itself is never logged. */
export function tokenFromEnv(envName: string, what: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[envName]?.trim();
  if (!value) {
    throw new ConfigError(
      `${what} needs a bot token in the environment variable ${envName}, which is not set; run: export ${envName}=<token>`,
    );
  }
  return value;
}
