// Scenario 13: the ensemble with platformAssignedUser on, run the way OpenShift runs it: the pods
// are admitted under restricted-v2 for a namespace with a random uid block, so every container runs
// as that block's first uid in group 0, with the block's first gid as fsGroup (e2e/openshift.ts says
// what is emulated and how). Proves quorum, writes that survive a member's restart, that every
// process runs as the assigned uid and none as 1001 or root, and that the metrics endpoint still
// serves ZooKeeper's and the JVM's series.
import { ZooKeeperClient } from './client';
import { mainContainer, PodmanCluster } from './cluster';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { ExpandedPod, expandStatefulSet } from './expand';
import { AdmissionRefused, admitRestrictedV2, randomNamespaceRange, UidRange } from './openshift';
import { waitFor } from './podman';
import { e2eProps } from './flavours';

const PROPS = e2eProps({ name: 'assigned', memoryLimitMiB: 512 });
const PREFIX = '/assigned';
const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };

interface ProcessIds { pid: number; name: string; uids: number[]; gids: number[]; groups: number[] }

export async function arbitraryUid(cluster: PodmanCluster, client: ZooKeeperClient): Promise<string> {
  const range = randomNamespaceRange();
  const uid = range.first;
  const refusal = refusedWithImageUser(range);

  const ensemble = new Ensemble(synthesizeToYaml({ ...PROPS, platformAssignedUser: true }), cluster);
  for (const member of ensemble.members) admitRestrictedV2(member.pod, range);
  try {
    const start = Date.now();
    await ensemble.start();
    await ensemble.waitForQuorum(120_000);
    const quorumSeconds = (Date.now() - start) / 1000;
    const roles = await ensemble.roles();
    expect(roles.filter((r) => r === 'leader').length === 1 && roles.filter((r) => r === 'follower').length === 2,
      `expected 1 leader and 2 followers, got ${JSON.stringify(roles)}`);

    const processes = (await Promise.all(ensemble.members.map((m) => checkProcesses(ensemble, m, range)))).flat();
    const files = await Promise.all(ensemble.members.map((m) => checkFiles(ensemble, m, range)));
    const passwd = (await ensemble.exec(ensemble.members[0], ['getent', 'passwd', String(uid)])).trim();
    const metrics = await Promise.all(ensemble.members.map((m) => checkMetrics(ensemble, m, uid)));

    const acked = await client.write(ensemble.hosts(), PREFIX, 100);
    expect(acked.length === 100, `only ${acked.length} of 100 writes were acknowledged`);
    // The leader's pod is deleted and recreated on its volumes: a new election without it, then
    // its init container and server start again as the assigned uid on data that uid wrote.
    const leader = await ensemble.leader();
    await ensemble.delete([leader]);
    const restartedAt = Date.now();
    await ensemble.start([leader]);
    await ensemble.waitForQuorum(120_000);
    const rejoinSeconds = (Date.now() - restartedAt) / 1000;
    const seen = await client.read(ensemble.hosts([leader]), PREFIX);
    expect(seen.length === 100, `${leader.name} serves ${seen.length} of 100 znodes after its restart`);
    await checkProcesses(ensemble, leader, range);
    const later = await client.write(ensemble.hosts(), `${PREFIX}/after-restart`, 20);
    expect(later.length === 20, `only ${later.length} of 20 writes were acknowledged after the restart`);

    const names = [...new Set(processes.map((p) => p.name))].sort().join(', ');
    return `uid block ${uid}/${range.size}; the default pod refused (${refusal}); `
      + `1 leader + 2 followers ${quorumSeconds.toFixed(1)} s after start; ${processes.length} processes (${names}) in 3 containers, `
      + `all uid ${uid} gid 0 groups [0, ${uid}], none 1001 or root; myid and snapshots owned ${files[0]}; runtime's passwd entry "${passwd}"; `
      + `metrics: ${metrics[0]}; 100/100 writes acked, leader ${leader.name} recreated: quorum again after ${rejoinSeconds.toFixed(1)} s `
      + 'and it serves all 100 alone; 20/20 more writes acked';
  } finally {
    await ensemble.delete();
  }
}

/** The same ensemble without the setting: admission must refuse its pods (runAsUser 1001, fsGroup 1001). */
function refusedWithImageUser(range: UidRange): string {
  const [member] = expandStatefulSet(synthesizeToYaml(PROPS), PROPS.name!, 'cluster.local');
  try {
    admitRestrictedV2(member.pod, range);
  } catch (error) {
    if (!(error instanceof AdmissionRefused)) throw error;
    const problems = error.message.split(': unable to validate against any security context constraint: ')[1] ?? error.message;
    expect(/runAsUser: Invalid value: 1001/.test(problems) && /fsGroup: Invalid value: \[1001\]/.test(problems), `refused for other reasons: ${problems}`);
    return 'runAsUser 1001 and fsGroup 1001 outside the block';
  }
  throw new Error('restricted-v2 admitted a pod with runAsUser 1001');
}

/**
 * Every process in the member's main container, with its real/effective/saved/fs uids and gids,
 * except the listing's own shell and its children (which run as the container's user too, as a
 * `kubectl exec` would).
 */
async function processesOf(ensemble: Ensemble, member: ExpandedPod): Promise<ProcessIds[]> {
  const out = await ensemble.exec(member, ['bash', '-c', 'echo "self $$"; for f in /proc/[0-9]*/status; do echo "== $f"; cat "$f" 2>/dev/null; done']);
  const self = Number(/^self (\d+)/.exec(out)?.[1]);
  return out.split('== ').slice(1).flatMap((block) => {
    const field = (key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(block)?.[1].trim();
    const numbers = (key: string) => (field(key) ?? '').split(/\s+/).filter(Boolean).map(Number);
    const pid = Number(/^\/proc\/(\d+)\/status/.exec(block)?.[1]);
    // A process that ended between the glob and cat (the loop's own `cat`s) has no fields.
    if (field('Name') === undefined || pid === self || Number(field('PPid')) === self) return [];
    return [{ pid, name: field('Name')!, uids: numbers('Uid'), gids: numbers('Gid'), groups: numbers('Groups') }];
  });
}

async function checkProcesses(ensemble: Ensemble, member: ExpandedPod, range: UidRange): Promise<ProcessIds[]> {
  const processes = await processesOf(ensemble, member);
  const fsGroup = member.pod.spec.securityContext.fsGroup;
  expect(fsGroup === range.first, `${member.name}: admission gave fsGroup ${fsGroup}`);
  for (const p of processes) {
    const described = `${member.name}: ${p.name} (pid ${p.pid}) runs as uids ${p.uids} gids ${p.gids} groups ${p.groups}`;
    expect(p.uids.length === 4 && p.uids.every((id) => id === range.first), described);
    expect(p.gids.length === 4 && p.gids.every((id) => id === 0), described);
    expect(p.groups.includes(0) && p.groups.includes(fsGroup), described);
    expect(![...p.uids, ...p.gids].some((id) => id === 1001) && !p.uids.includes(0), described);
  }
  const names = processes.map((p) => p.name);
  // The exporter (python3) runs beside ZooKeeper only where the image has no native provider.
  const exporter = PROPS.image!.props.nativePrometheusMetrics ? [] : ['python3'];
  for (const wanted of ['supervisord', 'java', 'bash', ...exporter]) {
    expect(names.includes(wanted), `${member.name}: no ${wanted} process among ${names.join(', ')}`);
  }
  const pid1 = processes.find((p) => p.pid === 1);
  expect(pid1?.name === 'supervisord', `${member.name}: PID 1 is ${pid1?.name}`);
  return processes;
}

/** What the init container and ZooKeeper wrote belongs to the assigned uid, in the fsGroup. */
async function checkFiles(ensemble: Ensemble, member: ExpandedPod, range: UidRange): Promise<string> {
  const dataDir = (mainContainer(member).volumeMounts as any[]).find((m) => m.name === 'data').mountPath;
  const out = await ensemble.exec(member, ['stat', '-c', '%u:%g', `${dataDir}/data/myid`, `${dataDir}/data/version-2`]);
  const owners = [...new Set(out.trim().split('\n'))];
  expect(owners.length === 1 && owners[0] === `${range.first}:${range.first}`,
    `${member.name}: myid and version-2 belong to ${owners.join(', ')}, not ${range.first}:${range.first} (uid:fsGroup)`);
  return owners[0];
}

/**
 * The metrics endpoint serves ZooKeeper's series and the JVM's: the native provider from inside the
 * JVM, or the exporter from mntr and the JVM's hsperfdata_<uid> file (which must belong to the uid).
 */
async function checkMetrics(ensemble: Ensemble, member: ExpandedPod, uid: number): Promise<string> {
  const port = (mainContainer(member).ports as any[]).find((p) => p.name === 'metrics').containerPort;
  const fetch = `import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:${port}/metrics', timeout=5).read().decode())`;
  const value = (body: string, series: string) => {
    const line = body.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  const native = PROPS.image!.props.nativePrometheusMetrics;
  // Right after quorum the JVM has just started (the exporter reads its file on each scrape).
  const body = await waitFor(`${member.name}'s JVM and ZooKeeper series`, 30_000, 1000, async () => {
    const text = await ensemble.exec(member, ['python3', '-c', fetch]);
    const up = native ? value(text, 'znode_count') !== undefined
      : value(text, 'zookeeper_exporter_jvm_up') === 1 && value(text, 'zookeeper_exporter_mntr_up') === 1;
    return up ? text : undefined;
  });
  const heapUsed = value(body, 'jvm_memory_bytes_used{area="heap",}') ?? value(body, 'jvm_memory_bytes_used{area="heap"}');
  const znodes = value(body, 'znode_count');
  expect(heapUsed !== undefined && heapUsed > 0, `${member.name}: no heap figure`);
  expect(znodes !== undefined && znodes > 0, `${member.name}: no znode_count`);
  if (native) return `native provider: heap used ${(heapUsed! / 2 ** 20).toFixed(0)} MiB, znode_count ${znodes}`;
  const perfData = (await ensemble.exec(member, ['bash', '-c', 'stat -c "%n %u" /tmp/hsperfdata_*'])).trim();
  expect(perfData === `/tmp/hsperfdata_${uid} ${uid}`, `${member.name}: perf data directories: ${perfData}`);
  return `jvm_up 1, mntr_up 1, heap used ${(heapUsed! / 2 ** 20).toFixed(0)} MiB, znode_count ${znodes}, from /tmp/hsperfdata_${uid}`;
}
