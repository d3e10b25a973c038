import { describeError } from '../core/errors.ts';
import type { ArtifactRecord } from '../ledger/attempt-ops.ts';
import type { AttemptRef } from '../ledger/ledger.ts';
import { collectArtifacts } from './artifact-collector.ts';
import { createAttemptFolder } from './attempt-folder.ts';
import { capText } from './attempt-limits.ts';
import type { AttemptSettings } from './attempt-settings.ts';

/** Copies the accepted artifacts out of the working folder; adds a notice per refused one. */
export async function acceptArtifacts(
  paths: string[],
  workDir: string,
  settings: Pick<AttemptSettings, 'artifactRoot' | 'limits' | 'secrets' | 'log'>,
  ref: AttemptRef,
  notices: string[],
): Promise<ArtifactRecord[]> {
  if (!paths.length) return [];
  let dest: string | undefined;
  try {
    const { records, refused } = await collectArtifacts(paths, {
      workDir,
      destDir: () => (dest ??= createAttemptFolder(settings.artifactRoot, ref.taskId, ref.attempt)),
      limits: settings.limits,
      secrets: settings.secrets,
    });
    for (const r of refused) {
      notices.push(`artifact ${capText(r.path, 200)} not attached: ${r.reason}`);
      settings.log.warn('artifact refused', {
        taskId: ref.taskId,
        attempt: ref.attempt,
        path: r.path,
        reason: r.reason,
      });
    }
    return records;
  } catch (err) {
    settings.log.error('artifacts could not be collected', { taskId: ref.taskId, error: describeError(err) });
    notices.push(`${paths.length} artifact(s) not attached: ${describeError(err)}`);
    return [];
  }
}
