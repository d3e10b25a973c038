import { SwarmError } from '../core/errors.ts';

/** A CLI outcome that ends the command with one clear line on stderr and a chosen exit code. */
export class CliError extends SwarmError {
  override name = 'CliError';
  constructor(
    /** The exit code this outcome stands for (see EXIT in cli-context.ts). */
    readonly exitCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('cli', message, options);
  }
}
