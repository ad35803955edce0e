// Benchmark (issue 16): backup and restore of 10,000 and 100,000 znodes, played as e2e scenario 22
// plays them: an ensemble of dist/prod's settings with backup on (3 members, the local 3.8.4
// image), the CronJob's pod and the restore Job's pod from the synthesized manifests, run by the
// e2e harness. For each size it writes the tree, backs it up, destroys every member's volume,
// restores, and checks that the restored tree equals the backed-up one (a wrong result prints no
// figures). Prints figures, and each pod's memory against its limit; asserts no time.
// It uses podman names the e2e suite uses, so it runs under the suite's lock:
//   flock /tmp/cdk8s-zookeeper-e2e.run.lock npm run bench:backup              10,000 then 100,000
//   flock /tmp/cdk8s-zookeeper-e2e.run.lock npm run bench:backup -- 10000     sizes of your choice
import * as os from 'os';
import * as path from 'path';
import { ZooKeeperClient } from '../e2e/client';
import { PodmanCluster } from '../e2e/cluster';
import { mib, MemoryPeak } from '../e2e/memory-peak';
import { BackupDrill, expect, JobRun, manifestOf, seconds, TREE, TREE_DIR, TreeState } from '../e2e/scenario-backup';

const SIZES = (process.argv[2] ?? '10000,100000').split(',').map(Number);
/** Each znode's data: 100 to 200 random bytes. */
const DATA_BYTES = '100-200';
/** Writing and walking 100,000 znodes takes minutes on a busy 2-core machine. */
const CLIENT_LIMIT_MS = 1_800_000;

interface Figures {
  readonly znodes: number;
  readonly writeMs: number;
  readonly backup: JobRun;
  readonly manifest: any;
  readonly restore: JobRun;
  readonly restoreToolMs: number;
}

class BackupBench extends BackupDrill {
  private written = 0;

  public async begin(): Promise<void> {
    await this.ensemble.start();
    await this.ensemble.waitForQuorum(120_000);
    await this.client.copyIn(path.join(__dirname, '..', 'e2e', 'backup'), TREE_DIR);
  }

  /** Grows the tree to `size` znodes of data under the bench roots, backs it up and restores it. */
  public async measure(size: number): Promise<Figures> {
    const started = Date.now();
    const wrote = await this.client.run([...TREE, 'write', '--hosts', this.ensemble.hosts().join(','), '--root', `/bench-${size}`,
      '--count', String(size - this.written), '--data-bytes', DATA_BYTES], CLIENT_LIMIT_MS);
    expect(wrote.code === 0, `writing the tree failed: ${wrote.stderr}`);
    const writeMs = Date.now() - started;
    this.written = size;
    const state = await this.treeState();

    const backup = await this.runPod(this.cronJob, 'bench', true);
    expect(backup.code === 0, `the backup pod exited ${backup.code}:\n${backup.log}`);
    const manifest = manifestOf(backup);
    expect(manifest.znodes === state.count, `the backup holds ${manifest.znodes} znodes, the ensemble ${state.count}`);

    const job = await this.writeMoreAndLoseEveryVolume(state, manifest.name);
    const restore = await this.runPod(job, 'bench', true);
    expect(restore.code === 0, `the restore pod exited ${restore.code}:\n${restore.log}`);
    const restored = await this.treeState();
    expect(restored.count === state.count && restored.sha256 === state.sha256,
      `after the restore the tree has ${restored.count} znodes (sha256 ${restored.sha256.slice(0, 12)}), at the backup it had ${state.count} (${state.sha256.slice(0, 12)})`);
    const restoreToolMs = Number(/in (\d+) ms; the ensemble equals the backup/.exec(restore.log)?.[1]);
    expect(restoreToolMs > 0, `the restore pod logged no time:\n${restore.log}`);
    return { znodes: state.count, writeMs, backup, manifest, restore, restoreToolMs };
  }

  private async treeState(): Promise<TreeState> {
    const started = Date.now();
    const state = await this.state();
    console.log(`bench: ${state.count} znodes walked by kazoo in ${seconds(Date.now() - started)}, sha256 ${state.sha256.slice(0, 12)}`);
    return state;
  }
}

const rss = (peak?: MemoryPeak) => (peak === undefined ? 'not sampled' : mib(peak.processPeakBytes));
const memory = (peak?: MemoryPeak) => (peak === undefined ? 'not sampled'
  : `JVM peak RSS ${mib(peak.processPeakBytes)}, cgroup peak ${mib(peak.cgroupPeakBytes)} of ${mib(peak.limitBytes)}, limit hit ${peak.limitHits} times`);

function report(f: Figures): void {
  const m = f.manifest;
  console.log(`bench: ${f.znodes} znodes, ${m.dataBytes} bytes of data, written in ${seconds(f.writeMs)}`);
  console.log(`bench:   backup ${m.bytes} bytes (exact ${m.exact}): tool ${seconds(m.durationMs)}, pod ${seconds(f.backup.ms)}; ${memory(f.backup.memory)}`);
  console.log(`bench:   restore (tree equal to the backup): tool ${seconds(f.restoreToolMs)}, pod ${seconds(f.restore.ms)}; ${memory(f.restore.memory)}`);
}

async function main(): Promise<number> {
  const workdir = path.join(os.tmpdir(), `zk-bench-${process.pid}`);
  const cluster = new PodmanCluster('zk-bench', workdir);
  const client = new ZooKeeperClient(cluster.network);
  let bench: BackupBench | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await bench?.destroy().catch(() => undefined);
    await client.stop();
    await cluster.cleanup();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => { void cleanup().then(() => process.exit(130)); });
  const figures: Figures[] = [];
  try {
    await cluster.createNetwork();
    await client.start();
    await cluster.pinBridgeAddress();
    bench = new BackupBench(cluster, client);
    console.log(`bench: ${bench.label}, ${os.cpus().length} CPUs; sizes ${SIZES.join(', ')}; data ${DATA_BYTES} bytes a znode`);
    await bench.begin();
    for (const size of SIZES) {
      figures.push(await bench.measure(size));
      report(figures[figures.length - 1]);
    }
  } catch (error) {
    console.error(`bench: FAILED: ${(error as Error).stack}`);
    await cluster.dumpLogs(50);
    return 1;
  } finally {
    await cleanup();
  }
  console.log('\n| znodes | data bytes | backup file | backup: tool / pod | backup JVM peak RSS | restore: tool / pod | restore JVM peak RSS |');
  console.log('|---|---|---|---|---|---|---|');
  for (const f of figures) {
    console.log(`| ${f.znodes} | ${f.manifest.dataBytes} | ${f.manifest.bytes} bytes | ${seconds(f.manifest.durationMs)} / ${seconds(f.backup.ms)} `
      + `| ${rss(f.backup.memory)} | ${seconds(f.restoreToolMs)} / ${seconds(f.restore.ms)} | ${rss(f.restore.memory)} |`);
  }
  return 0;
}

main().then((code) => process.exit(code));
