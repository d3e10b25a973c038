import { describeError } from '../core/errors.ts';
import type { Worker, WorkerContext } from './worker.ts';

/** A worker written as a JavaScript function, for library use: its return value is the result. */
export type WorkerFunction = (ctx: WorkerContext) => Promise<string> | string;

/** Wraps a function as a Worker: a thrown error becomes a failed attempt with its message. */
export function createFunctionWorker(fn: WorkerFunction): Worker {
  return {
    async run(ctx) {
      try {
        const output = await fn(ctx);
        if (ctx.signal.aborted) return { ok: false, error: `stopped: ${String(ctx.signal.reason)}` };
        return { ok: true, output: String(output ?? '') };
      } catch (err) {
        return { ok: false, error: describeError(err) };
      }
    },
  };
}
