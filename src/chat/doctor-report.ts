/** One check `chat-swarm doctor` ran against a platform, with the fix when it failed. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What the person should do to fix it; present when `ok` is false (or a warning). */
  fix?: string;
  /** A warning does not make the report fail, but is shown with its fix. */
  warning?: boolean;
  /** The check could not run (e.g. the platform was unreachable): neither passed nor failed. */
  unchecked?: boolean;
}

export interface DoctorReport {
  platform: string;
  checks: DoctorCheck[];
}

/** True when every non-warning check passed. */
export function isHealthy(report: DoctorReport): boolean {
  return report.checks.every((c) => c.ok || c.warning === true);
}
