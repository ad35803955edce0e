// Scenarios 15-17, on an ensemble the core scenarios already run: every metric name the alert rules
// and the dashboard read returns a series from the live servers, scraped by a real Prometheus
// through the ServiceMonitor; the logging config puts ZooKeeper's lines on the container log while
// the probes stay out of it; the AdminServer answers on loopback only.
import { LEADER_ONLY_METRIC_NAMES } from '../lib/metrics/native-metrics';
import { ZooKeeperClient } from './client';
import { mainContainer, PodmanCluster } from './cluster';
import { Ensemble } from './ensemble';
import { ExpandedPod, find } from './expand';
import { sleep, waitFor } from './podman';
import { ScrapedEnsemble, usedMetricNames } from './scrape';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };

/**
 * Every name the ensemble's alert rules and dashboard use must have a series from each member that
 * should export it: leader-only names from the leader alone, every other one from all members.
 * Load-only names need requests (writes and reads are made here) and election_time an election
 * (every member's first one counts).
 */
export async function metricNamesLive(ensemble: Ensemble, scraped: ScrapedEnsemble, client: ZooKeeperClient, prefix: string): Promise<string> {
  const { served, cluster } = usedMetricNames(scraped.monitoring);
  const acked = await client.write(ensemble.hosts(), prefix, 50);
  await Promise.all(ensemble.members.map((m) => client.read(ensemble.hosts([m]), prefix)));
  expect(acked.length === 50, `only ${acked.length} of 50 writes were acknowledged`);
  const leader = (await ensemble.leader()).name;
  const everyone = ensemble.members.map((m) => m.name).sort();
  const leaderOnly: readonly string[] = LEADER_ONLY_METRIC_NAMES;
  const expected = (name: string) => (leaderOnly.includes(name) ? [leader] : everyone);
  // The pods may have new addresses since Prometheus started (recreated pods), and a member that
  // was not serving at its last scrape lacks its server gauges until the next: wait for the scrapes.
  await scraped.refreshTargets();
  const loadedAt = Date.now();
  const found = new Map<string, string[]>();
  let wrong: string[] = served;
  await waitFor('every name on the members that export it', 150_000, 2000, async () => {
    for (const name of wrong) found.set(name, await scraped.podsWith(name));
    wrong = served.filter((name) => (found.get(name) ?? []).join() !== expected(name).join());
    return wrong.length === 0 || undefined;
  }).catch(() => {
    throw new Error(`series not on the members that export them: ${wrong.map((n) => `${n} on [${found.get(n)}], expected [${expected(n)}]`).join('; ')}`);
  });
  const onLeader = served.filter((name) => leaderOnly.includes(name));
  return `${served.length} names of the alert rules and dashboard each return series within ${((Date.now() - loadedAt) / 1000).toFixed(0)} s after load: `
    + `${served.length - onLeader.length} from all ${everyone.length} members, ${onLeader.join(', ')} from the leader ${leader} alone; `
    + `from the cluster, not checked here: ${cluster.join(', ')}`;
}

/** logback.xml's console pattern: `<ISO8601> [myid:<id>] <LEVEL> [<thread>] <logger> - <message>`. */
const LOGBACK_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[myid:(\d*)\] (TRACE|DEBUG|INFO |WARN |ERROR) \[[^\]]*\] (\S+) - /;

/**
 * ZooKeeper's lines reach the container log in the ConfigMap's pattern, and a minute of the
 * manifest's probes, run at their periods as the kubelet runs them, adds no line from the loggers
 * logback.xml quiets (at INFO each four-letter word would log one).
 */
export async function loggingQuietUnderProbes(cluster: PodmanCluster, ensemble: Ensemble): Promise<string> {
  const member = ensemble.members[0];
  const logback = find(ensemble.objects, 'ConfigMap').map((c) => c.data?.['logback.xml']).find((text) => text !== undefined);
  expect(logback !== undefined, 'no ConfigMap holds logback.xml');
  const quieted = [...logback!.matchAll(/<logger name="([^"]+)" level="(WARN|ERROR|OFF)"\/>/g)].map((m) => m[1]);
  expect(quieted.length > 0, 'logback.xml quiets no logger');

  const before = (await cluster.logs(member.name)).split('\n');
  const ours = before.filter((line) => LOGBACK_LINE.test(line));
  const myid = (await ensemble.exec(member, ['bash', '-c', `cat ${dataDir(member)}/data/myid`])).trim();
  expect(ours.length > 0 && ours.some((line) => / - (LEADING|FOLLOWING)$/.test(line) || /QuorumPeer/.test(line)),
    `${member.name}: no ZooKeeper line in the container log has logback.xml's pattern`);
  // ZooKeeper sets the myid MDC on its main thread only: other threads' lines carry `[myid:]`.
  const withId = ours.filter((line) => LOGBACK_LINE.exec(line)![1] !== '');
  expect(withId.length > 0 && withId.every((line) => LOGBACK_LINE.exec(line)![1] === myid),
    `${member.name}: ${withId.length} lines carry a myid, expected some and all ${myid}: ${withId.find((line) => !line.includes(`[myid:${myid}]`))}`);

  const probes = await probeForAMinute(cluster, member);
  const after = (await cluster.logs(member.name)).split('\n').slice(before.length - 1).filter((line) => line.trim());
  const loggerOf = (line: string) => LOGBACK_LINE.exec(line)?.[3].split('.').pop();
  const noisy = after.filter((line) => quieted.some((logger) => loggerOf(line) === logger.split('.').pop()));
  expect(noisy.length === 0, `${noisy.length} lines from quieted loggers during probing, e.g. ${noisy[0]}`);
  expect(after.length <= 5, `${after.length} log lines in a minute of probing, e.g. ${after.slice(0, 3).join(' | ')}`);
  return `${ours.length} ZooKeeper lines in logback.xml's pattern (${withId.length} from the main thread with [myid:${myid}]); 60 s of probing (${probes}) added ${after.length} log lines, `
    + `none from ${quieted.map((l) => l.split('.').pop()).join(', ')} (logback's %logger{36} keeps the class name whole)`;
}

function dataDir(member: ExpandedPod): string {
  return (mainContainer(member).volumeMounts as any[]).find((m) => m.name === 'data').mountPath;
}

/** Liveness and readiness probes at their periods for 60 s, as the kubelet runs them once started. */
async function probeForAMinute(cluster: PodmanCluster, member: ExpandedPod): Promise<string> {
  const end = Date.now() + 60_000;
  const counts = await Promise.all((['livenessProbe', 'readinessProbe'] as const).map(async (kind) => {
    const period = (mainContainer(member)[kind].periodSeconds ?? 10) * 1000;
    let runs = 0;
    while (Date.now() < end) {
      const started = Date.now();
      const result = await cluster.probe(member, kind);
      expect(result.ok, `${member.name} ${kind} failed during the minute: ${result.output}`);
      runs++;
      await sleep(Math.max(0, Math.min(period - (Date.now() - started), end - Date.now())));
    }
    return `${runs} ${kind.replace('Probe', '')}`;
  }));
  return counts.join(', ');
}

/** The AdminServer answers inside the pod on 127.0.0.1 and refuses another pod, which reaches the metrics port. */
export async function adminServerLoopbackOnly(ensemble: Ensemble, client: ZooKeeperClient): Promise<string> {
  const port = Number(ensemble.zooCfgSetting('admin.serverPort'));
  expect(ensemble.zooCfgSetting('admin.enableServer') === 'true' && port > 0, `zoo.cfg enables no AdminServer on a port: ${ensemble.zooCfgSetting('admin.enableServer')}, ${port}`);
  const member = ensemble.members[0];
  const ruok = await ensemble.adminCommand(member, 'ruok');
  expect(ruok.status === 200 && ruok.body?.command === 'ruok' && ruok.body?.error === null,
    `${member.name}: /commands/ruok on 127.0.0.1:${port} answered ${ruok.status} ${JSON.stringify(ruok.body).slice(0, 200)}`);
  const connect = (target: number) => client.run(['python3', '-c', `import socket; socket.create_connection(("${member.fqdn}", ${target}), 3)`]);
  const fromPod = await connect(port);
  expect(fromPod.code !== 0 && /ConnectionRefusedError/.test(fromPod.stderr), `another pod reached ${member.name}:${port}: ${fromPod.stderr}`);
  const metricsPort = ensemble.containerPort('metrics')!;
  const metrics = await connect(metricsPort);
  expect(metrics.code === 0, `the client pod cannot reach ${member.name}:${metricsPort} either, so the refusal proves nothing: ${metrics.stderr}`);
  return `/commands/ruok on 127.0.0.1:${port} inside ${member.name}: HTTP 200, error null; from the client pod: connection refused `
    + `(its metrics port ${metricsPort} connects)`;
}
