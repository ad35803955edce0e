// What each member runs, as the running server itself reports it: its version (`monitor`) and its
// effective configuration (the AdminServer's `configuration`), as a checksum. The checksum is of
// the server's own report, not of the ConfigMap or the pod's annotations: a member that kept an
// older configuration, or read another file, reports other values whatever its pod says.
import { createHash } from 'crypto';
import { Ensemble } from './ensemble';
import { ExpandedPod } from './expand';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };

/** zoo.cfg's keys whose values the AdminServer's `configuration` reports, under its own names. */
const REPORTED = { tickTime: 'tick_time', maxClientCnxns: 'max_client_cnxns', minSessionTimeout: 'min_session_timeout', maxSessionTimeout: 'max_session_timeout' } as const;

export interface MemberReport {
  readonly name: string;
  /** The release, e.g. 3.9.4; '-' when the member does not answer. */
  readonly version: string;
  /** The first 12 hex digits of a SHA-256 of its `configuration`, without its own server_id; '-' when it does not answer. */
  readonly conf: string;
  readonly configuration?: Record<string, unknown>;
}

/** The checksum of a `configuration` reply: the member's own id and the reply's envelope left out, keys sorted. */
export function configurationChecksum(configuration: Record<string, unknown>): string {
  const { server_id: _id, command: _command, error: _error, ...rest } = configuration;
  const sorted = Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 12);
}

export async function memberReport(ensemble: Ensemble, member: ExpandedPod): Promise<MemberReport> {
  const version = (await ensemble.mntr(member).catch(() => new Map<string, string>())).get('zk_version')?.split('-')[0] ?? '-';
  const { status, body } = await ensemble.adminCommand(member, 'configuration').catch(() => ({ status: 0, body: undefined }));
  if (status !== 200 || typeof body !== 'object' || body.error) return { name: member.name, version, conf: '-' };
  return { name: member.name, version, conf: configurationChecksum(body), configuration: body };
}

/** The release the synthesis deployed: the version the voters' pods are labelled with (`app.kubernetes.io/version`). */
export function labelledVersion(ensemble: Ensemble): string {
  const version = ensemble.members[0].pod.metadata.labels?.['app.kubernetes.io/version'];
  if (typeof version !== 'string') throw new Error(`${ensemble.members[0].name}'s pod carries no app.kubernetes.io/version label`);
  return version;
}

/**
 * Every member's report, asserting that each runs `version` (by default the release its pods are
 * labelled with) with the configuration the synthesis intends: the values zoo.cfg sets are the
 * values the server reports, and every member reports the same configuration (the same checksum).
 */
export async function assertMembersRun(ensemble: Ensemble, version = labelledVersion(ensemble)): Promise<MemberReport[]> {
  const reports = await Promise.all(ensemble.members.map((m) => memberReport(ensemble, m)));
  for (const r of reports) {
    expect(r.version === version, `${r.name} reports version ${r.version}, not ${version}`);
    expect(r.configuration !== undefined, `${r.name}'s AdminServer gave no configuration`);
    for (const [key, field] of Object.entries(REPORTED)) {
      const intended = ensemble.zooCfgSetting(key);
      if (intended === undefined) continue;
      expect(String(r.configuration![field]) === intended, `${r.name} runs with ${field} ${r.configuration![field]}, zoo.cfg sets ${key}=${intended}`);
    }
  }
  const checksums = new Set(reports.map((r) => r.conf));
  expect(checksums.size === 1, `the members report different configurations: ${describeMembers(reports)}`);
  return reports;
}

/** `zookeeper-0 3.9.4 conf 1a2b3c4d5e6f, ...` */
export function describeMembers(reports: MemberReport[]): string {
  return reports.map((r) => `${r.name} ${r.version} conf ${r.conf}`).join(', ');
}
