import { resolveEnsemble, ZooKeeperEnsembleProps, ZooKeeperSettingsError } from '../../lib';

/** The issues the library reports for settings it must refuse; a test fails when they are accepted. */
export function issuesOf(props: Record<string, unknown>, chartNamespace = 'zk') {
  try {
    resolveEnsemble(props as ZooKeeperEnsembleProps, chartNamespace);
  } catch (error) {
    if (error instanceof ZooKeeperSettingsError) return error.issues;
    throw error;
  }
  throw new Error(`settings were accepted: ${JSON.stringify(props)}`);
}

/** The same issues as `setting: message` lines, the way an error lists them. */
export function issueLines(props: Record<string, unknown>): string[] {
  return issuesOf(props).map((i) => `${i.setting}: ${i.message}`);
}
