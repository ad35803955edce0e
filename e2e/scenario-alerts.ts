// Scenario 10: a real Prometheus scrapes an ensemble through the targets its synthesized
// ServiceMonitor describes and evaluates its synthesized PrometheusRule. Failures are caused for
// real, and the alerts must go pending, fire and resolve as the rules say. The member-outage rules
// wait 5 minutes (`for`) before firing: they are shown pending, and still only pending while a
// copy with `for` shortened to OUTAGE_FOR_SHORTENED (labelled `e2e_for`) fires; the `for` itself
// is what promtool's tests prove (test/alert-rules.test.ts). It also scrapes a
// kube-state-metrics stand-in for the StatefulSet's replicas, for the membership alert (10.1,
// scenario-membership-alert.ts), played while the ensemble is healthy.
import * as path from 'path';
import { ZOOKEEPER_PROGRAM } from '../lib/render/supervisord-conf';
import { PodmanCluster } from './cluster';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { find } from './expand';
import { e2eProps } from './flavours';
import { heal, partition } from './network-partition';
import { podman, sleep, waitFor } from './podman';
import { ActiveAlert, PrometheusServer } from './prometheus';
import { MembershipAlertLive } from './scenario-membership-alert';
import { writeTargets } from './scrape';

/**
 * Five members, so one member down and another not serving still leave a quorum (3 of 5) and each
 * alert shows for what it is. Scrapes and evaluations every 5 s keep the waits near the rules' own
 * `for` durations.
 */
const PROPS = e2eProps({ name: 'watched', replicas: 5, scrapeIntervalSeconds: 5, alertEvaluationIntervalSeconds: 5 });
const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
/** What a member outage raises; all of it must clear once the members are back. */
const OUTAGE_ALERTS = ['ZooKeeperMemberNotServing', 'ZooKeeperMemberDown', 'ZooKeeperMembersMissing', 'ZooKeeperQuorumAtRisk', 'ZooKeeperNoLeader'];
const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
/** The member-outage rules whose copies fire here, and their copies' `for`. */
const SHORTENED = ['ZooKeeperMemberNotServing', 'ZooKeeperMemberDown'];
const OUTAGE_FOR_SHORTENED = '20s';

interface AlertTimes { pendingMs: number; firingMs: number }

/** `membershipRow` runs 10.1's body as a row of its own. */
export async function alertsFireAndResolve(cluster: PodmanCluster, workdir: string,
  membershipRow: (body: () => Promise<string>) => Promise<boolean>): Promise<string> {
  const objects = synthesizeToYaml(PROPS);
  const ensemble = new Ensemble(objects, cluster);
  const prometheus = new PrometheusServer(path.join(workdir, 'prometheus'));
  const membership = new MembershipAlertLive(objects);
  try {
    await ensemble.start();
    await ensemble.waitForQuorum(180_000);
    const [monitor] = find(objects, 'ServiceMonitor');
    const [rule] = find(objects, 'PrometheusRule');
    expect(monitor !== undefined && rule !== undefined, 'the chart has no ServiceMonitor or no PrometheusRule');
    const startedAt = Date.now();
    const targetsFile = path.join(workdir, 'prometheus-targets.yaml');
    const setup = await writeTargets(ensemble, cluster, monitor, targetsFile);
    const standIn = await membership.start();
    const copies = rule.spec.groups.flatMap((g: { rules: { alert?: string; for?: string; labels?: object }[] }) => g.rules)
      .filter((r: { alert?: string }) => SHORTENED.includes(r.alert ?? ''))
      .map((r: { for?: string; labels?: object }) => ({ ...r, for: OUTAGE_FOR_SHORTENED, labels: { ...r.labels, e2e_for: `shortened from ${r.for} to ${OUTAGE_FOR_SHORTENED}` } }));
    expect(copies.length === SHORTENED.length, `the PrometheusRule lacks one of ${SHORTENED.join(', ')}`);
    const shortened = { name: 'e2e-outage-shortened-for', interval: '5s', rules: copies };
    await prometheus.start([...setup.scrapeConfigs, standIn.scrapeConfig], [...rule.spec.groups, shortened, standIn.ruleGroup], 5);

    // All members up and scraped with the labels the rules select on; then a quiet minute.
    const memberTargets = async () => (await prometheus.targets()).filter((t) => t.scrapePool !== 'kube-state-metrics');
    const upMs = await waitFor('all 5 targets up', 60_000, 500, async () => {
      const targets = await memberTargets();
      return targets.length === 5 && targets.every((t) => t.health === 'up') ? Date.now() - startedAt : undefined;
    });
    const labels = (await memberTargets()).map((t) => t.labels);
    expect(labels.every((l) => l.namespace === 'zk-e2e' && l.ensemble === 'watched' && /^watched-\d$/.test(l.pod)),
      `targets lack the namespace/ensemble/pod labels: ${JSON.stringify(labels)}`);
    // Right after Prometheus starts, rules may see fewer members than are up (their first
    // samples are not in yet) and go pending; a minute later nothing may be left.
    await sleep(60_000);
    const quiet = await prometheus.alerts();
    expect(quiet.length === 0, `alerts on a healthy ensemble: ${describe(quiet)}`);
    await membershipRow(() => membership.differsAndResolves(prometheus, ensemble));

    // One follower cut off from its peers (its JVM and metrics endpoint keep answering, its server
    // stops serving), another follower's container stopped.
    const leader = await ensemble.leader();
    const [notServing, down] = ensemble.members.filter((m) => m !== leader);
    const peerPorts = [ensemble.containerPort('quorum')!, ensemble.containerPort('election')!];
    const conf = ensemble.supervisordConf();
    const failedAt = Date.now();
    await partition(cluster, notServing.name, peerPorts);
    await podman(['stop', '--time', '30', cluster.containerName(down.name)], 60_000);
    const [notServingTimes, downTimes] = await Promise.all([
      shortenedAlertTimes(prometheus, 'ZooKeeperMemberNotServing', notServing.name, failedAt),
      shortenedAlertTimes(prometheus, 'ZooKeeperMemberDown', down.name, failedAt),
    ]);
    const duringFailure = await prometheus.alerts();
    const atRisk = duringFailure.find((a) => a.labels.alertname === 'ZooKeeperQuorumAtRisk');
    console.log(`e2e: alerts during the failure: ${describe(duringFailure)}`);

    // Recovery: both come back and every alert of the failure resolves.
    const recoveredAt = Date.now();
    // The partitioned member's server is also restarted under supervisord, which is what
    // ZooKeeperProcessRestarts must report; supervisorctl returns once it has run for startsecs (10 s).
    await heal(cluster, notServing.name, peerPorts);
    await ensemble.exec(notServing, ['supervisorctl', '-c', conf, 'restart', ZOOKEEPER_PROGRAM], 60_000);
    await podman(['start', cluster.containerName(down.name)], 60_000);
    await ensemble.waitForQuorum(180_000);
    // Kubernetes service discovery always has the pods' current addresses; so does the targets file.
    // (podman gives a pod whose container was stopped and started a new address; a kubelet
    // restarting a container keeps the pod's.)
    const ipsBefore = setup.targetGroups.flatMap((g) => g.targets).join(' ');
    const ipsAfter = (await writeTargets(ensemble, cluster, monitor, targetsFile)).targetGroups.flatMap((g) => g.targets).join(' ');
    if (ipsAfter !== ipsBefore) console.log(`e2e: targets moved: ${ipsBefore} -> ${ipsAfter}`);
    const resolvedMs = await waitFor('the failure\'s alerts to resolve', 180_000, 1000, async () =>
      ((await prometheus.alerts()).some((a) => OUTAGE_ALERTS.includes(a.labels.alertname)) ? undefined : Date.now() - recoveredAt));
    // Both members started a new JVM. For the server stopped and started under supervisord that is
    // what ZooKeeperProcessRestarts reports; for the restarted container kube-state-metrics would
    // tell the rule to leave it to ZooKeeperContainerRestarts, but there is none here.
    const restarted = (await prometheus.alerts()).filter((a) => a.labels.alertname === 'ZooKeeperProcessRestarts').map((a) => a.labels.pod);
    expect(restarted.includes(notServing.name), `ZooKeeperProcessRestarts does not report ${notServing.name}, whose server was restarted: ${restarted}`);

    // The leader's JVM killed: supervisord restarts it and the ensemble elects a leader.
    const newLeader = await ensemble.leader();
    const killedAt = await ensemble.killServer(newLeader);
    const election = await alertTimes(prometheus, 'ZooKeeperLeaderElections', undefined, killedAt);
    await ensemble.waitForQuorum(120_000);

    return `5 targets up ${seconds(upMs)} after Prometheus started, with namespace/ensemble/pod labels; nothing pending in a healthy minute; `
      + `${notServing.name} cut off from its peers: NotServing pending ${seconds(notServingTimes.pendingMs)}, its copy with for: ${OUTAGE_FOR_SHORTENED} firing ${seconds(notServingTimes.firingMs)} (the rule itself still pending); `
      + `container stopped on ${down.name}: MemberDown pending ${seconds(downTimes.pendingMs)}, its copy firing ${seconds(downTimes.firingMs)} (the rule still pending); `
      + `QuorumAtRisk ${atRisk?.state ?? 'absent'} meanwhile; all resolved ${seconds(resolvedMs)} after recovery `
      + `(ProcessRestarts firing for the server restarted under supervisord); `
      + `leader ${newLeader.name} killed: LeaderElections firing ${seconds(election.firingMs)} after the kill`;
  } catch (error) {
    console.log(`---- prometheus log\n${prometheus.tail()}\n---- active alerts\n${describe(await prometheus.alerts().catch(() => []))}`);
    throw error;
  } finally {
    await prometheus.stop();
    await membership.stop();
    await ensemble.delete();
  }
}

/** Waits for an alert (of one pod, if given) to be pending and then firing; times are from `since`. */
async function alertTimes(prometheus: PrometheusServer, alertname: string, pod: string | undefined, since: number): Promise<AlertTimes> {
  const state = async () => (await prometheus.alerts())
    .find((a) => a.labels.alertname === alertname && (pod === undefined || a.labels.pod === pod))?.state;
  let pendingMs: number | undefined;
  const firingMs = await waitFor(`${alertname}${pod ? ` for ${pod}` : ''} to fire`, 8 * 60_000, 1000, async () => {
    const now = await state();
    // An alert without `for` goes straight to firing: pending is then the same moment.
    if (now !== undefined) pendingMs ??= Date.now() - since;
    return now === 'firing' ? Date.now() - since : undefined;
  });
  return { pendingMs: pendingMs!, firingMs };
}

/**
 * A rule with a long `for` against its copy with a short one: the rule (of the pod) goes pending,
 * the copy fires, and the rule is then still pending, not firing; times are from `since`.
 */
async function shortenedAlertTimes(prometheus: PrometheusServer, alertname: string, pod: string, since: number): Promise<AlertTimes> {
  const of = (alerts: ActiveAlert[], copy: boolean) => alerts.find((a) => a.labels.alertname === alertname && a.labels.pod === pod && (a.labels.e2e_for !== undefined) === copy);
  let pendingMs: number | undefined;
  let rule: ActiveAlert | undefined;
  const firingMs = await waitFor(`${alertname} for ${pod} pending and its copy firing`, 3 * 60_000, 1000, async () => {
    const alerts = await prometheus.alerts();
    rule = of(alerts, false);
    if (rule !== undefined) pendingMs ??= Date.now() - since;
    return pendingMs !== undefined && of(alerts, true)?.state === 'firing' ? Date.now() - since : undefined;
  });
  expect(rule?.state === 'pending', `${alertname} for ${pod} is ${rule?.state ?? 'gone'} when its copy with for: ${OUTAGE_FOR_SHORTENED} fires, not pending`);
  return { pendingMs: pendingMs!, firingMs };
}

function describe(alerts: ActiveAlert[]): string {
  return alerts.map((a) => `${a.labels.alertname}{pod=${a.labels.pod ?? '-'}}${a.labels.e2e_for ? ' (copy)' : ''} ${a.state}`).join(', ') || 'none';
}
