import { validate } from '../commands/command-args.ts';
import { taskRefField } from '../commands/command-fields.ts';
import { EXIT } from './cli-context.ts';
import { CliError } from './cli-error.ts';

/** A task named on the command line (`T-3`, `3`, `#3` or a key), normalised as the chat does. */
export function taskRef(word: string): string {
  const ref = validate(taskRefField, word);
  if (!ref.ok) throw new CliError(EXIT.usage, ref.problem);
  return ref.value;
}
