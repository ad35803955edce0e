// `npm run e2e`: runs the synthesized ensemble in real containers and prints the evidence.
// setup.sh (run first by the npm script) installs podman and builds the images.
import * as crypto from 'crypto';
import * as os from 'os';
import * as path from 'path';
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { figuresTable, FlavourFigures, newFigures } from './figures';
import { Flavour, FLAVOURS, prodEnvironment, prodSettingsOn } from './flavours';
import { podman } from './podman';
import { alertsFireAndResolve } from './scenario-alerts';
import { observersServeReadsWithoutVoting } from './scenario-observers';
import { PARTITION_CASES, partitionCase } from './scenario-partitions';
import { arbitraryUid } from './scenario-arbitrary-uid';
import { SeaweedS3 } from './s3-server';
import { BackupDrill } from './scenario-backup';
import { RecoveryDrill } from './scenario-recovery';
import { FullDiskDrill } from './scenario-full-disk';
import { BackupAlertsLive } from './scenario-backup-alerts';
import { S3BackupDrill } from './scenario-backup-s3';
import { RollDrill } from './scenario-roll';
import { membershipChanges } from './scenario-membership';
import { membershipSecure } from './scenario-membership-secure';
import { membershipSwitch } from './scenario-membership-switch';
import { membershipObservers } from './scenario-membership-observers';
import { statefulSetModelLive } from './scenario-statefulset-model';
import { adminServerLoopbackOnly, loggingQuietUnderProbes, metricNamesLive } from './scenario-observability';
import { checkCleansUpAfterFailure, checkFailsWithoutQuorum, checkPasses, checkPassesOn, checkPassesWithMemberDown, checkSurvivesLeaderKill } from './scenario-post-deploy-check';
import { saslEndToEnd } from './scenario-sasl';
import { zkCliWalkthrough } from './zkcli-walkthrough';
import { tlsEndToEnd } from './scenario-tls';
import { UpgradeDrill } from './scenario-upgrade';
import { QuorumSecurityKind, QuorumSecuritySteps } from './scenario-quorum-security-steps';
import * as s from './scenarios';
import { monitoringUnderTest, ScrapedEnsemble } from './scrape';

/** The whole run must end well inside CI's budget; a hung podman call must not hold it. */
const RUN_LIMIT_MS = 70 * 60_000;
const FAILOVER_RUNS = Number(process.env.E2E_FAILOVER_RUNS ?? 5);
/** For development: E2E_ONLY=10 runs only the scenarios whose number is listed (a partial run never passes). */
const ONLY = process.env.E2E_ONLY?.split(',');

interface Row { scenario: string; ok: boolean; seconds: number; figures: string }

async function main(): Promise<number> {
  const rows: Row[] = [];
  const workdir = path.join(os.tmpdir(), `zk-e2e-${process.pid}`);
  const cluster = new PodmanCluster('zk-e2e', workdir);
  const client = new ZooKeeperClient(cluster.network);
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await client.stop();
    await cluster.cleanup();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => { void cleanup().then(() => process.exit(130)); });
  }
  const limit = setTimeout(() => {
    console.error(`e2e: over the ${RUN_LIMIT_MS / 60000} minute limit; cleaning up and failing`);
    void cleanup().then(() => process.exit(1));
  }, RUN_LIMIT_MS);

  let registered = 0;
  const run: Run = async (scenario, body) => {
    registered++;
    if (!wanted(scenario.split('.')[0])) return false;
    const start = Date.now();
    console.log(`e2e: ${scenario} ...`);
    try {
      const figures = await body();
      rows.push({ scenario, ok: true, seconds: (Date.now() - start) / 1000, figures });
      console.log(`e2e: ${scenario}: PASS ${figures}`);
      return true;
    } catch (error) {
      rows.push({ scenario, ok: false, seconds: (Date.now() - start) / 1000, figures: (error as Error).message.split('\n')[0] });
      console.log(`e2e: ${scenario}: FAIL ${(error as Error).stack}`);
      await cluster.dumpLogs(200);
      return false;
    }
  };

  const started = Date.now();
  const figures = [FLAVOURS.default, FLAVOURS.zookeeper39, FLAVOURS.debian].map((f) => newFigures(f.label));
  try {
    await cluster.createNetwork();
    // The client's container stays on the network for the whole run, and so does the bridge.
    await client.start();
    await cluster.pinBridgeAddress();
    await defaultProfile({ cluster, client, workdir, run, figures: figures[0] });
    await backupAndRestore({ cluster, client, workdir, run, figures: figures[0] });
    await backupToObjectStorage({ cluster, client, workdir, run, figures: figures[0] });
    await recovery({ cluster, client, workdir, run, figures: figures[0] });
    await fullDisk({ cluster, client, workdir, run, figures: figures[0] });
    await rolls({ cluster, client, workdir, run, figures: figures[0] });
    const membershipBed = { cluster, client, workdir, run };
    await membershipChanges(membershipBed, wanted);
    await membershipSwitch(membershipBed, wanted);
    await membershipObservers(membershipBed, wanted);
    await membershipSecure(membershipBed, wanted);
    await run('8. every other environment of the app serves', () => s.otherEnvironmentsServe(cluster, client));
    await run('10. Prometheus: targets, alerts fire and resolve', () => alertsFireAndResolve(cluster, workdir,
      (body) => run('10.1 membership alert live: members counting other than the StatefulSet\'s replicas (stand-in) fire past the (shortened) bound, and resolve', body)));
    await run('11. observers: serve reads, no vote in the quorum', () => observersServeReadsWithoutVoting(cluster, client,
      (ensemble) => run('21.10 post-deploy check passes with 5 voters and 2 observers (scenario 11\'s ensemble)', () => checkPassesOn(cluster, ensemble))));
    await run('12. TLS: quorum, clients, renewal, rejected members', () => tlsEndToEnd(cluster, client, workdir,
      async (ensemble) => {
        await run('21.5 post-deploy check passes with quorum TLS and TLS-only clients (scenario 12\'s ensemble)', () => checkPassesOn(cluster, ensemble));
        await run('21.8 README\'s zkCli walkthrough with TLS-only clients (scenario 12\'s ensemble)', () => zkCliWalkthrough(cluster, ensemble));
      }));
    await run('13. arbitrary uid in group 0, admitted as OpenShift does', () => arbitraryUid(cluster, client));
    await run('14. SASL: quorum, clients, wrong quorum password', () => saslEndToEnd(cluster, client,
      async (ensemble) => {
        await run('21.6 post-deploy check passes with client and quorum SASL (scenario 14\'s ensemble)', () => checkPassesOn(cluster, ensemble, ['anonymous-refused']));
        await run('21.9 README\'s zkCli walkthrough with client SASL (scenario 14\'s ensemble)', () => zkCliWalkthrough(cluster, ensemble));
      }));
    await otherFlavour({ cluster, client, workdir, run, figures: figures[1] }, '18', FLAVOURS.zookeeper39, 'zk39', 'native');
    await otherFlavour({ cluster, client, workdir, run, figures: figures[2] }, '19', FLAVOURS.debian, 'zkdeb', 'exporter');
    await upgradeAndDowngrade({ cluster, client, workdir, run, figures: figures[0] });
    await quorumSecurityInSteps({ cluster, client, workdir, run, figures: figures[0] }, '26', 'tls');
    await quorumSecurityInSteps({ cluster, client, workdir, run, figures: figures[0] }, '27', 'sasl');
    for (const [i, flavour] of [FLAVOURS.default, FLAVOURS.zookeeper39, FLAVOURS.debian].entries()) {
      figures[i].imageBytes = await imageBytes(flavour.profile.props.image);
    }
  } finally {
    clearTimeout(limit);
    await cleanup();
  }

  const width = Math.max(...rows.map((r) => r.scenario.length));
  console.log(`\nEnd-to-end summary (podman ${os.cpus().length} CPUs, ${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  console.log(`${'scenario'.padEnd(width)}  result  time    figures`);
  for (const row of [...rows].sort((a, b) => a.scenario.localeCompare(b.scenario, undefined, { numeric: true }))) {
    console.log(`${row.scenario.padEnd(width)}  ${row.ok ? 'PASS' : 'FAIL'}    ${`${row.seconds.toFixed(1)}s`.padEnd(6)}  ${row.figures}`);
  }
  console.log(`\nSide by side, measured in this run (${prodEnvironment().label}'s settings on each image):\n${figuresTable(figures)}`);
  const failed = rows.filter((r) => !r.ok);
  // The failures again, last: a CI that keeps only the tail of the output still names them.
  for (const row of failed) console.log(`FAILED ${row.scenario}: ${row.figures}`);
  console.log(`${rows.length - failed.length} passed, ${failed.length} failed`);
  // Every registered scenario must have run: a partial run (E2E_ONLY, or a stop after scenario 1) never passes.
  return failed.length === 0 && rows.length === registered ? 0 : 1;
}

type Run = (scenario: string, body: () => Promise<string> | string) => Promise<boolean>;

interface Bed {
  readonly cluster: PodmanCluster;
  readonly client: ZooKeeperClient;
  readonly workdir: string;
  readonly run: Run;
  readonly figures: FlavourFigures;
}

const wanted = (scenario: string) => !ONLY || ONLY.includes(scenario);

/**
 * The app's production environment (dist/prod as shipped) as committed, on the local build of the
 * default profile's image: every behavioural scenario on one ensemble, with Prometheus scraping it
 * through its monitor from the start. The ensemble is deleted with its claims at the end: the
 * other environments use the same names.
 */
async function defaultProfile(bed: Bed): Promise<void> {
  const { cluster, client, run } = bed;
  const production = prodEnvironment();
  console.log(`e2e: the core scenarios play ${production.label}`);
  const ensemble = new Ensemble(production.objects(), cluster);
  const ctx: s.Context = { cluster, ensemble, client, acked: new Map(), figures: bed.figures };
  let scraped: ScrapedEnsemble | undefined;
  try {
    if (!await run('1. the production ensemble reaches quorum', () => s.quorumForms(ctx))) return;
    if (wanted('15')) {
      const monitoring = monitoringUnderTest(ensemble.objects, production.settings);
      scraped = await ScrapedEnsemble.start(ensemble, cluster, path.join(bed.workdir, 'scrape-prod'), monitoring);
    }
    await run('3. writes visible from every member', () => s.writesVisibleEverywhere(ctx));
    await run('21.1 post-deploy check Job passes against the live ensemble', () => checkPasses(ctx));
    await run('21.2 post-deploy check passes with one member down', () => checkPassesWithMemberDown(ctx));
    await run('21.3 post-deploy check fails clearly without a quorum', () => checkFailsWithoutQuorum(ctx));
    await run('21.4 post-deploy check passes with the leader killed mid-run', () => checkSurvivesLeaderKill(ctx));
    await run('21.11 post-deploy check removes its znodes after a failed step', () => checkCleansUpAfterFailure(ctx));
    await run('21.7 README\'s zkCli walkthrough, as written', () => zkCliWalkthrough(cluster, ensemble));
    await run('4. leader SIGKILL under writes', () => s.leaderFailover(ctx, FAILOVER_RUNS));
    await run('5. killed member rejoins the quorum', () => s.rejoinFigures(ctx.figures.failovers));
    await run('15. native metrics, live: every name of the alerts and dashboard', () => metricNamesLive(ensemble, scraped!, client, '/metrics-load'));
    await run('16. logging: ZooKeeper on the container log, probes quiet', () => loggingQuietUnderProbes(cluster, ensemble));
    await run('17. AdminServer on loopback only', () => adminServerLoopbackOnly(ensemble, client));
    for (const [i, spec] of PARTITION_CASES.entries()) {
      await run(`20.${i + 1} partition: ${spec.name}`, () => partitionCase(ctx, spec, i));
    }
    await run('7. supervisord PID 1, logs, read-only root', () => s.supervisordIsPid1(ctx));
    await run('6. whole-ensemble restart keeps data', () => s.wholeEnsembleRestart(ctx));
    await run('2. probe semantics from the manifest', () => s.probeSemantics(ctx));
    await run('9. config change rolls out (tickTime, one pod at a time)', () => s.configChangeRollsOut(ctx));
  } finally {
    await scraped?.stop();
    await ensemble.destroy();
  }
}

/**
 * The production environment's backup CronJob and the restore Job its settings add with
 * restoreBackup, on a fresh ensemble of it (the drill destroys its volumes). Runs after
 * defaultProfile, whose ensemble has the same names and is gone by then.
 */
async function backupAndRestore(bed: Bed): Promise<void> {
  const { cluster, client, run } = bed;
  if (!wanted('22')) return;
  const drill = new BackupDrill(cluster, client);
  const alerts = new BackupAlertsLive(drill.history, drill.ensemble.objects, drill.settings, bed.workdir);
  const lastRun = (succeeded: boolean) => {
    const last = drill.lastCronJobRun;
    if (last?.succeeded !== succeeded) throw new Error(`the last run of the CronJob did not ${succeeded ? 'succeed' : 'fail'}`);
    return last;
  };
  console.log(`e2e: the backup scenarios play ${drill.label}`);
  try {
    if (!await run('22.1 backup: the production environment\'s CronJob pod writes a verified backup of one zxid', () => drill.backUp())) return;
    const live = await run('22.10 backup alerts live: after a success, neither is active (real Prometheus, kube-state-metrics stand-in)', () => alerts.quietAfterSuccess());
    const failed = await run('22.2 backup: a digest ACL it cannot read faithfully fails it, clearly', () => drill.refusesRedactedAcl());
    if (live && failed) {
      await run('22.11 backup alerts live: the failed run fires ZooKeeperBackupFailed; ZooKeeperBackupTooOld fires past its (shortened) bound only', () => {
        const { job, endMs } = lastRun(false);
        return alerts.firesAfterFailure(job, endMs);
      });
    }
    if (!await run('22.3 restore drill: volumes destroyed, the restore Job brings back exactly the backup point', () => drill.restoreDrill())) return;
    const retained = await run('22.4 retention: a backup with backupRetention 1 leaves itself alone on the claim', () => drill.retention());
    if (live && failed && retained) {
      await run('22.12 backup alerts live: the next successful run resolves both', () => alerts.resolveAfterSuccess(lastRun(true).endMs));
    }
    await run('22.5 backup under writes: every write acknowledged before it started is in it', () => drill.underWrites());
  } finally {
    await alerts.stop();
    await drill.destroy();
  }
}

/** Scenario 25: the image profile changed 3.8.4 -> 3.9.4 and back, each rolled under writes. */
async function upgradeAndDowngrade(bed: Bed): Promise<void> {
  const { cluster, client, run } = bed;
  if (!wanted('25')) return;
  const drill = new UpgradeDrill(cluster, client, bed.workdir);
  console.log(`e2e: the upgrade scenarios play ${drill.label}`);
  try {
    if (!await run('25.1 upgrade 3.8.4 -> 3.9.4 by the image profile, rolled by the roll Job (leader last) under writes', () => drill.upgrade())) return;
    await run('25.2 downgrade 3.9.4 -> 3.8.4, rolled back by the roll Job the same way', () => drill.downgrade());
  } finally {
    await drill.destroy();
  }
}

/** Scenarios 26 and 27: quorum TLS, quorum SASL turned on in a running ensemble, one roll per step. */
async function quorumSecurityInSteps(bed: Bed, number: string, kind: QuorumSecurityKind): Promise<void> {
  const { cluster, client, run } = bed;
  if (!wanted(number)) return;
  const steps = new QuorumSecuritySteps(kind, cluster, client, bed.workdir);
  const names = kind === 'tls'
    ? ['', 'step 1: members accept TLS, still dial in plaintext', 'step 2: members dial over TLS, still accept plaintext', 'step 3: TLS only']
    : ['', 'step 1: members can authenticate, nobody asks', 'step 2: joining members authenticate', 'step 3: the leader requires it'];
  try {
    await steps.run((step, body) => run(`${number}.${step} quorum ${kind.toUpperCase()} turned on under writes by the roll Job, ${names[step]}`, body));
  } finally {
    await steps.destroy();
  }
}

/**
 * The same CronJob and restore Job with an S3-compatible bucket as the target: a real SeaweedFS
 * with authentication on, started here (built once by e2e/install-seaweedfs.sh) and removed with
 * its data at the end. Runs after backupAndRestore, whose ensemble is gone by then.
 */
async function backupToObjectStorage(bed: Bed): Promise<void> {
  const { cluster, client, workdir, run } = bed;
  if (!wanted('22')) return;
  const credentials = { accessKeyId: `ZKE2E${crypto.randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: crypto.randomBytes(30).toString('base64') };
  const server = new SeaweedS3(cluster.network, workdir, credentials);
  let drill: S3BackupDrill | undefined;
  try {
    // The server's start is part of 22.6: a SeaweedFS that cannot be built or started fails that row.
    if (!await run('22.6 backup to S3: the CronJob pod writes a verified backup into a real bucket (SeaweedFS, auth on)', async () => {
      const started = await server.start();
      drill = new S3BackupDrill(cluster, client, server, workdir);
      console.log(`e2e: SeaweedFS found or built in ${(started.buildOrFindMs / 1000).toFixed(1)} s, S3 up in ${(started.startMs / 1000).toFixed(1)} s; playing ${drill.label}`);
      return drill.backUpToBucket();
    })) return;
    if (!await run('22.7 restore drill from S3: volumes destroyed, the restore Job brings back exactly the backup point', () => drill!.restoreFromBucket())) return;
    await run('22.8 S3 with a wrong secret key: refused by the server, fails clearly, no credential logged, bucket unchanged', () => drill!.wrongCredentials());
    await run('22.9 retention in the bucket: backupRetention 1 keeps the new backup alone under the prefix', () => drill!.retentionInBucket());
  } finally {
    await drill?.destroy();
    await server.stop();
  }
}

/**
 * Recovery from damaged and lost volumes on a fresh ensemble of the production environment (its
 * cases damage and destroy volumes). Runs after backupAndRestore, whose ensemble has the same names.
 */
async function recovery(bed: Bed): Promise<void> {
  const { cluster, client, run } = bed;
  if (!wanted('24')) return;
  const drill = new RecoveryDrill(cluster, client);
  console.log(`e2e: the recovery scenarios play ${drill.label}`);
  try {
    if (!await run('24.1 a follower\'s snapshots truncated: set aside, it syncs from the leader by itself, nothing lost', () => drill.truncatedSnapshots())) return;
    await run('24.2 two of three volumes lost: rebuilt from the survivor with the recovery ConfigMap, nothing lost', () => drill.majorityLost());
  } finally {
    await drill.destroy();
  }
}

/**
 * A member's data volume filling up, on a fresh ensemble of the production environment with that
 * member's claim size-limited. Runs after recovery, whose ensemble has the same names.
 */
async function fullDisk(bed: Bed): Promise<void> {
  const { cluster, client, run } = bed;
  if (!wanted('28')) return;
  const drill = new FullDiskDrill(cluster, client, bed.workdir);
  console.log(`e2e: the full-disk scenario plays ${drill.label}`);
  try {
    await run('28. a member\'s data volume fills up: the alert fires first, the member fails, space freed, it serves again with nothing lost', () => drill.run());
  } finally {
    await drill.destroy();
  }
}

/**
 * Rolling the members on a fresh ensemble of the production environment, under a writer: the
 * StatefulSet's order, the roll Job against the API server model, and a roll that meets a member
 * that never comes back (docs/rolling.md). Runs after the others of the same names are gone.
 */
async function rolls(bed: Bed): Promise<void> {
  const { cluster, client, run } = bed;
  if (!wanted('23')) return;
  const drill = new RollDrill(cluster, client, bed.workdir);
  console.log(`e2e: the roll scenarios play ${drill.label}`);
  try {
    if (!await run('23.0 roll: a fresh production ensemble reaches quorum', () => drill.start())) return;
    if (!await run('23.1 roll: tickTime in the StatefulSet\'s order (RollingUpdate, highest ordinal first), under writes', () => drill.statefulSetOrder(3000))) return;
    if (!await run('23.2 roll: again in the StatefulSet\'s order, from the leader the first roll left', () => drill.statefulSetOrder(3500))) return;
    if (!await run('23.3 roll: tickTime by the roll Job, followers first and the leader last: one election, under writes', () => drill.rollJob())) return;
    await run('23.4 roll: a replacement that never serves stops the roll there, and the quorum holds', () => drill.brokenMember());
  } finally {
    await drill.destroy();
  }
  await run('23.5 the StatefulSet model on real pods: Parallel creation, scale 3 -> 2 -> 3 on the kept claim, a ConfigMap reaching one member late', () => statefulSetModelLive(cluster));
}

/**
 * The core scenarios on another image, with the production environment's settings: quorum, writes, leader SIGKILL
 * under writes, rejoin, the metric names live (scraped from the native provider or the exporter),
 * and a whole-ensemble restart.
 */
async function otherFlavour(bed: Bed, number: string, flavour: Flavour, name: string, metrics: 'native' | 'exporter'): Promise<void> {
  const { cluster, client, run } = bed;
  const settings = prodSettingsOn(flavour, name);
  const ensemble = new Ensemble(synthesizeToYaml(settings), cluster);
  const ctx: s.Context = { cluster, ensemble, client, acked: new Map(), figures: bed.figures };
  const label = `${number}.%d ${flavour.label}:`;
  const step = (i: number, what: string) => `${label.replace('%d', String(i))} ${what}`;
  let scraped: ScrapedEnsemble | undefined;
  try {
    if (!await run(step(1, 'members reach quorum'), () => s.quorumForms(ctx))) return;
    if (wanted(number)) scraped = await ScrapedEnsemble.start(ensemble, cluster, path.join(bed.workdir, `scrape-${name}`), monitoringUnderTest(ensemble.objects, settings));
    await run(step(2, 'writes visible from every member'), () => s.writesVisibleEverywhere(ctx));
    await run(step(3, 'leader SIGKILL under writes'), () => s.leaderFailover(ctx, FAILOVER_RUNS));
    await run(step(4, 'killed member rejoins the quorum'), () => s.rejoinFigures(ctx.figures.failovers));
    await run(step(5, `${metrics === 'native' ? 'native metrics' : 'exporter series'}, live: every name of the alerts and dashboard`),
      () => metricNamesLive(ensemble, scraped!, client, '/metrics-load'));
    await run(step(6, 'whole-ensemble restart keeps data'), () => s.wholeEnsembleRestart(ctx));
  } finally {
    await scraped?.stop();
    await ensemble.destroy();
  }
}

async function imageBytes(image: string): Promise<number | undefined> {
  return Number((await podman(['image', 'inspect', '--format', '{{.Size}}', image]).catch(() => '')).trim()) || undefined;
}

main().then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(1);
});
