// Scenario 22: backup and restore on the production environment (dist/prod; the default profile).
// The backup is the CronJob's pod from dist/, run once as the CronJob controller would start it;
// the restore is the Job that restoreBackup adds. An app whose production environment has backup
// off is played with its settings plus backup on (the label says so). The drill writes a tree with data and ACLs and tracked acknowledged writes,
// backs it up, writes more, destroys every member's volume, restores, and compares the whole tree
// with the state at the backup point.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { ZooKeeperChartProps } from '../lib';
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { standInImage, withImage } from './dist';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { find, Manifest } from './expand';
import { PlayedEnvironment, prodEnvironment } from './flavours';
import { CronJobHistory } from './cronjob-metrics';
import { MemoryPeak, watchMemory } from './memory-peak';
import { podman, waitFor } from './podman';

export const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** Where the tree program (e2e/backup/tree.py) is copied in the client container. */
export const TREE_DIR = '/tmp/backup-drill';
export const TREE = ['python3', `${TREE_DIR}/tree.py`];
/** Backup on a claim, for a production environment that has it off. */
const BACKUP_ON: ZooKeeperChartProps = { backup: true, backupClaimName: 'zookeeper-backups' };
/** The most one backup or restore pod may take here (its Job allows backupTimeoutSeconds). */
const JOB_LIMIT_MS = 600_000;

export interface TreeState { readonly count: number; readonly sha256: string; readonly ephemerals: number }
/** `memory` only when the run was asked to sample it (the benchmark does). */
export interface JobRun { readonly code: number; readonly log: string; readonly ms: number; readonly memory?: MemoryPeak }
/** A run of the CronJob's pod, as its Job: the name the CronJob controller gives it, when it ended. */
export interface CronJobRun { readonly job: string; readonly endMs: number; readonly succeeded: boolean }

/** One ensemble of dist/prod with its backup claim, and the steps of the drill in order. */
export class BackupDrill {
  public readonly ensemble: Ensemble;
  public readonly cronJob: Manifest;
  /** The CronJob's Jobs as the controllers would have recorded them, for the kube-state-metrics stand-in. */
  public readonly history: CronJobHistory;
  /** The last run of the CronJob's pod. */
  public lastCronJobRun?: CronJobRun;
  private runs = 0;
  /** The Secrets the backup pods take env from (secretKeyRef), as the kubelet would find them. */
  protected readonly secrets = new Map<string, Record<string, string>>();
  private atBackup?: { state: TreeState; manifest: any; acked: number[] };
  /** What is played: the production environment as committed, or its settings with backup on. */
  public readonly label: string;
  public readonly settings: ZooKeeperChartProps;

  /** `edited`: settings and a label that replace the environment's own (another backup target). */
  constructor(protected readonly cluster: PodmanCluster, protected readonly client: ZooKeeperClient, production: PlayedEnvironment = prodEnvironment(),
    edited?: { readonly label: string; readonly settings: ZooKeeperChartProps }) {
    const committed = production.objects();
    const withBackup = edited === undefined && find(committed, 'CronJob').length > 0;
    this.settings = edited?.settings ?? (withBackup ? production.settings : { ...production.settings, ...BACKUP_ON });
    this.label = edited?.label ?? (withBackup ? production.label : `${production.label}'s settings with backup on`);
    const objects = withBackup ? committed : this.synthesize({});
    [this.cronJob] = find(objects, 'CronJob');
    // Applied now, as far as the CronJob's creationTimestamp goes.
    this.history = new CronJobHistory(this.cronJob, Math.floor(Date.now() / 1000));
    // The members answer to the client Service's name, which the backup pods connect to.
    this.ensemble = new Ensemble(objects, cluster);
  }

  /** The played settings with `overrides`, synthesized, on the local image. */
  protected synthesize(overrides: ZooKeeperChartProps): Manifest[] {
    const objects = synthesizeToYaml({ ...this.settings, ...overrides });
    return withImage(objects, standInImage(objects));
  }

  /** 22.1: a tree and acknowledged writes, then the CronJob's pod writes a backup that checks out. */
  public async backUp(): Promise<string> {
    const { state, acked, run, manifest } = await this.treeAndBackup();
    // Checked here too, not only by the tool: the files on the claim are what the manifest says.
    const dir = await this.claimDir();
    const dump = fs.readFileSync(path.join(dir, manifest.file));
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, `${manifest.name}.json`), 'utf8'));
    expect(crypto.createHash('sha256').update(dump).digest('hex') === manifest.sha256 && onDisk.sha256 === manifest.sha256 && dump.length === manifest.bytes,
      'the dump on the claim does not match its manifest');
    expect(fs.readdirSync(dir).every((file) => !file.endsWith('.tmp')), 'a temporary file was left on the claim');
    this.atBackup = { state, manifest, acked };
    return `${state.count} znodes (tree of 2000 with data and ACLs, 200 tracked writes): backup ${manifest.name} at zxid ${manifest.zxid} (exact), `
      + `${manifest.bytes} bytes, sha256 checked on the claim; the tool took ${manifest.durationMs} ms, the pod ${seconds(run.ms)} (JVM start and compile included)`;
  }

  /**
   * The start of 22.1 (and 22.6): the ensemble up, a tree of 2000 znodes with data and ACLs and 200
   * tracked acknowledged writes, then the CronJob's pod once; its backup must be of one zxid, hold
   * as many znodes as the ensemble and name the members' version.
   */
  protected async treeAndBackup(): Promise<{ state: TreeState; acked: number[]; run: JobRun; manifest: any }> {
    const connect = podTemplateOf(this.cronJob).spec.containers[0].env.find((e: any) => e.name === 'ZK_CONNECT').value as string;
    expect(this.ensemble.serviceNames(this.ensemble.members[0]).includes(connect.split(':')[0]), `the backup connects to ${connect}, which is no Service of the members`);
    await this.ensemble.start();
    await this.ensemble.waitForQuorum(120_000);
    await this.client.copyIn(path.join(__dirname, 'backup'), TREE_DIR);
    const hosts = this.ensemble.hosts().join(',');
    const wrote = await this.client.run([...TREE, 'write', '--hosts', hosts, '--count', '2000'], 300_000);
    expect(wrote.code === 0, `writing the tree failed: ${wrote.stderr}`);
    const acked = await this.client.write(this.ensemble.hosts(), '/drill-acked', 200);
    expect(acked.length === 200, `${acked.length} of 200 tracked writes acknowledged`);
    const state = await this.state();

    const run = await this.runPod(this.cronJob, 'backup');
    expect(run.code === 0, `the backup pod exited ${run.code}:\n${run.log}`);
    const manifest = manifestOf(run);
    expect(manifest.exact === true, `the backup of a quiet ensemble is not of one zxid: ${JSON.stringify(manifest)}`);
    expect(manifest.znodes === state.count, `the backup holds ${manifest.znodes} znodes, the ensemble ${state.count}`);
    const version = find(this.ensemble.objects, 'StatefulSet')[0].spec.template.metadata.labels['app.kubernetes.io/version'];
    expect(manifest.serverVersion.startsWith(`${version}-`), `the manifest names server version ${manifest.serverVersion}, the members run ${version}`);
    return { state, acked, run, manifest };
  }

  /** 22.2: a digest ACL the anonymous backup cannot read faithfully fails the backup, clearly, leaving nothing. */
  public async refusesRedactedAcl(): Promise<string> {
    const dir = await this.claimDir();
    const before = fs.readdirSync(dir).sort();
    // The world may read it, so the walk gets its data; only ADMIN would show the digest in its ACL.
    const script = 'import sys; from kazoo.client import KazooClient; from kazoo.security import make_acl, make_digest_acl; '
      + 'c = KazooClient(hosts=sys.argv[1]); c.start(timeout=60); '
      + 'c.create("/drill-digest", b"x", acl=[make_digest_acl("app", "app-password", all=True), make_acl("world", "anyone", read=True)]); c.stop()';
    const made = await this.client.run(['python3', '-c', script, this.ensemble.hosts().join(',')], 60_000);
    expect(made.code === 0, `creating the digest-protected znode failed: ${made.stderr}`);
    try {
      const run = await this.runPod(this.cronJob, 'backup');
      const why = /FAILED: (.*)/.exec(run.log)?.[1] ?? '';
      expect(run.code !== 0 && /\/drill-digest names digest user app/.test(why), `the backup did not fail clearly (exit ${run.code}): ${run.log}`);
      expect(JSON.stringify(fs.readdirSync(dir).sort()) === JSON.stringify(before), 'the failed backup changed the claim');
      return `exit ${run.code}, "${why.slice(0, 120)}...", the claim unchanged`;
    } finally {
      const removed = await this.client.run(['python3', '-c', 'import sys; from kazoo.client import KazooClient; c = KazooClient(hosts=sys.argv[1]); c.start(timeout=60); c.delete("/drill-digest"); c.stop()',
        this.ensemble.hosts().join(',')], 60_000);
      expect(removed.code === 0, `removing /drill-digest failed: ${removed.stderr}`);
    }
  }

  /** 22.3: more writes, every member's volume destroyed, the restore Job: the tree is the backup's exactly. */
  public async restoreDrill(): Promise<string> {
    expect(this.atBackup !== undefined, '22.1 made no backup');
    const { state, manifest, acked } = this.atBackup!;
    const job = await this.writeMoreAndLoseEveryVolume(state, manifest.name);
    // A damaged backup is refused before anything is written: one byte changed on the claim.
    const dumpFile = path.join(await this.claimDir(), manifest.file);
    const intact = fs.readFileSync(dumpFile);
    const damaged = Buffer.from(intact);
    damaged[damaged.length >> 1] ^= 0xff;
    fs.writeFileSync(dumpFile, damaged);
    const refused = await this.runPod(job, 'restore');
    fs.writeFileSync(dumpFile, intact);
    expect(refused.code !== 0 && /FAILED: backup \S+: checksum differs from its manifest/.test(refused.log), `the restore of a damaged backup did not fail clearly (exit ${refused.code}):\n${refused.log}`);
    expect((await this.state()).count === 1, 'the refused restore wrote into the ensemble');
    const run = await this.restoreAndCompare(job, state, acked);
    const took = /in (\d+) ms; the ensemble equals the backup/.exec(run.log)?.[1];
    return `100 writes after the backup; all 3 volumes destroyed, new ensemble empty; a backup with one byte changed refused, nothing written; restore Job: ${state.count} znodes restored in ${took} ms `
      + `(pod ${seconds(run.ms)}), tree equal to the backup point (sha256 of paths, data, ACLs), all ${acked.length} tracked writes present, the later ones gone; `
      + 'the Job run again changes nothing';
  }

  /**
   * The middle of the restore drills: 100 writes after the backup, every member's pod and volume
   * destroyed, new members forming a quorum on an empty tree; returns the Job restoreBackup adds.
   */
  protected async writeMoreAndLoseEveryVolume(state: TreeState, backupName: string): Promise<Manifest> {
    const after = await this.client.write(this.ensemble.hosts(), '/drill-after', 100);
    expect(after.length === 100, `${after.length} of 100 writes after the backup acknowledged`);
    expect((await this.state()).sha256 !== state.sha256, 'the writes after the backup did not change the tree');

    await this.ensemble.delete();
    await this.cluster.removeVolumes(this.ensemble.members.flatMap((m) => m.claims.map((c) => c.metadata.name)));
    await this.ensemble.start();
    await this.ensemble.waitForQuorum(120_000);
    const empty = await this.state();
    expect(empty.count === 1, `the ensemble on new volumes holds ${empty.count} znodes`);

    // The Job restoreBackup adds: the ensemble has others (the post-deploy check's).
    const others = new Set(find(this.synthesize({}), 'Job').map((j) => j.metadata.name));
    const added = find(this.synthesize({ restoreBackup: backupName }), 'Job').filter((j) => !others.has(j.metadata.name));
    expect(added.length === 1, `restoreBackup added ${added.length} Jobs, expected 1`);
    return added[0];
  }

  /**
   * The end of the restore drills: the restore Job's pod; the whole tree must equal the backup
   * point, every tracked write acknowledged before the backup be there, and a second run change nothing.
   */
  protected async restoreAndCompare(job: Manifest, state: TreeState, acked: number[]): Promise<JobRun> {
    const run = await this.runPod(job, 'restore');
    expect(run.code === 0, `the restore pod exited ${run.code}:\n${run.log}`);
    const restored = await this.state();
    expect(restored.count === state.count && restored.sha256 === state.sha256,
      `after the restore the tree has ${restored.count} znodes (sha256 ${restored.sha256.slice(0, 12)}), at the backup it had ${state.count} (${state.sha256.slice(0, 12)})`);
    const present = new Set(await this.client.read(this.ensemble.hosts(), '/drill-acked'));
    const lost = acked.filter((seq) => !present.has(seq));
    expect(lost.length === 0, `${lost.length} writes acknowledged before the backup are missing after the restore`);
    const again = await this.runPod(job, 'restore');
    expect(again.code === 0 && /already holds exactly backup/.test(again.log), `the restore Job run again did not leave the restored ensemble alone: ${again.log}`);
    return run;
  }

  /**
   * 22.4: retention. The CronJob of the same settings with backupRetention 1 backs up the restored
   * ensemble; after it the claim holds that backup alone, the older ones removed.
   */
  public async retention(): Promise<string> {
    const dir = await this.claimDir();
    const before = fs.readdirSync(dir).filter((file) => file.endsWith('.json')).sort();
    expect(before.length >= 1, 'no backup on the claim before the retention run');
    const [cronJob] = find(this.synthesize({ backupRetention: 1 }), 'CronJob');
    const run = await this.runPod(cronJob, 'retention');
    expect(run.code === 0, `the backup pod exited ${run.code}:\n${run.log}`);
    const name = /backup (\S+) written/.exec(run.log)?.[1];
    const after = fs.readdirSync(dir).sort();
    expect(JSON.stringify(after) === JSON.stringify([`${name}.json`, `${name}.zkdump.gz`]), `after the run the claim holds ${after.join(', ')}, not backup ${name} alone`);
    const removed = (run.log.match(/retention: removed/g) ?? []).length;
    expect(removed === before.length, `the run logged ${removed} removals, ${before.length} backups were there`);
    return `backupRetention 1: the new backup ${name} kept, the ${before.length} older one(s) removed, as logged`;
  }

  /**
   * 22.5: a backup under writes. A writer keeps creating znodes while the CronJob's pod runs; every
   * write acknowledged before the walk that was kept started must be in the dump, and a walk that
   * saw transactions must say so (`exact: false`, zxidEnd after zxid) or have been retried.
   */
  public async underWrites(): Promise<string> {
    const prefix = '/drill-busy';
    const writer = this.client.stoppableWriteLoop(this.ensemble.hosts(), prefix, 120);
    await waitFor('the writer to get going', 20_000, 100, async () => (writer.events.some((e) => e.acked !== undefined) || undefined));
    let run: JobRun;
    try {
      run = await this.runPod(this.cronJob, 'busy');
    } finally {
      await writer.stop();
    }
    expect(run.code === 0, `the backup under writes exited ${run.code}:\n${run.log}`);
    const manifest = manifestOf(run);
    const zxid = BigInt(manifest.zxid);
    const zxidEnd = BigInt(manifest.zxidEnd);
    expect(manifest.exact === (zxid === zxidEnd), `exact is ${manifest.exact} for zxids ${manifest.zxid}..${manifest.zxidEnd}`);
    const started = Date.parse(manifest.time);
    const ackedBefore = writer.events.filter((e) => e.acked !== undefined && e.t * 1000 < started).map((e) => e.acked!);
    const dump = zlib.gunzipSync(fs.readFileSync(path.join(await this.claimDir(), manifest.file))).toString('utf8');
    const paths = new Set(dump.split('\n').slice(1).filter(Boolean).map((line) => Buffer.from(line.split('\t')[0], 'base64').toString('utf8')));
    const missing = ackedBefore.filter((seq) => !paths.has(`${prefix}/w-${String(seq).padStart(10, '0')}`));
    expect(ackedBefore.length > 0, 'no write was acknowledged before the backup started');
    expect(missing.length === 0, `${missing.length} writes acknowledged before the backup started are not in it: ${missing.slice(0, 5).join(',')}`);
    const acked = writer.events.filter((e) => e.acked !== undefined).length;
    return `${acked} writes acknowledged while the backup ran; the kept walk (attempt ${manifest.attempt} of 3) spans zxid ${manifest.zxid}..${manifest.zxidEnd}, `
      + `exact ${manifest.exact}; all ${ackedBefore.length} writes acknowledged before it started are in it`;
  }

  public async destroy(): Promise<void> {
    await this.ensemble.destroy();
  }

  /** An env entry with a secretKeyRef resolved from `secrets`, as the kubelet injects it. */
  private fromSecret(env: any): any {
    const ref = env.valueFrom?.secretKeyRef;
    if (!ref) return env;
    const value = this.secrets.get(ref.name)?.[ref.key];
    if (value === undefined) throw new Error(`env ${env.name}: Secret ${ref.name} has no key ${ref.key} in this test bed`);
    return { name: env.name, value };
  }

  protected async state(): Promise<TreeState> {
    const result = await this.client.run([...TREE, 'state', '--hosts', this.ensemble.hosts().join(',')], 300_000);
    const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
    if (result.code !== 0 || !line) throw new Error(`reading the tree failed: ${result.stderr}`);
    return JSON.parse(line);
  }

  /** The backup claim's directory on this host (the harness provisioned it as a podman volume). */
  private async claimDir(): Promise<string> {
    const claim = podTemplateOf(this.cronJob).spec.volumes.find((v: any) => v.persistentVolumeClaim).persistentVolumeClaim.claimName;
    return (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', claim])).trim();
  }

  /**
   * Runs the pod of a CronJob's or Job's template once, as the Job controller would create it
   * (the claim it mounts provisioned on first use, like the existing claim it names), and waits
   * for it to end; with `measureMemory`, its memory is sampled while it runs.
   */
  protected async runPod(owner: Manifest, role: string, measureMemory = false): Promise<JobRun> {
    const template = podTemplateOf(owner);
    const name = `${owner.metadata.name}-${role}-${++this.runs}`;
    const pod: Manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: owner.metadata.namespace, labels: { ...template.metadata.labels } },
      spec: structuredClone(template.spec),
    };
    for (const container of pod.spec.containers) container.env = container.env?.map((e: any) => this.fromSecret(e));
    const claims = (pod.spec.volumes as any[]).filter((v) => v.persistentVolumeClaim)
      .map((v) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: v.persistentVolumeClaim.claimName } }));
    const container = template.spec.containers[0].name;
    const start = Date.now();
    const watch = measureMemory ? watchMemory(this.cluster.containerName(name, container)) : undefined;
    await this.cluster.play({ ordinal: 0, name, fqdn: `${name}.jobs.e2e`, pod, claims }, this.ensemble.configMaps);
    const code = Number((await podman(['wait', this.cluster.containerName(name, container)], JOB_LIMIT_MS)).trim());
    const end = Date.now();
    const ms = end - start;
    // The runs of a CronJob of this name are its Jobs (22.4's CronJob differs only in backupRetention).
    if (owner.kind === 'CronJob' && owner.metadata.name === this.cronJob.metadata.name) {
      this.lastCronJobRun = { job: this.history.record(start, end, code === 0), endMs: end, succeeded: code === 0 };
    }
    const memory = await watch?.stop();
    const log = await this.cluster.logs(name, container);
    await this.cluster.deletePod(name);
    return { code, log, ms, memory };
  }
}

/** The manifest a backup pod logs when its backup is written and verified. */
export function manifestOf(run: JobRun): any {
  const manifest = JSON.parse(/backup \S+ written to \S+: (\{.*\})/.exec(run.log)?.[1] ?? 'null');
  expect(manifest !== null, `the backup pod logged no manifest:\n${run.log}`);
  return manifest;
}

/** The template of a CronJob's or Job's pods. */
export function podTemplateOf(owner: Manifest): any {
  return owner.kind === 'CronJob' ? owner.spec.jobTemplate.spec.template : owner.spec.template;
}
