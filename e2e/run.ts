// `npm run e2e`: runs the synthesized ensemble in real containers and prints the evidence.
// setup.sh (run first by the npm script) installs podman and builds the images.
import * as os from 'os';
import * as path from 'path';
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { alertsFireAndResolve } from './scenario-alerts';
import { observersServeReadsWithoutVoting } from './scenario-observers';
import { arbitraryUid } from './scenario-arbitrary-uid';
import { saslEndToEnd } from './scenario-sasl';
import { tlsEndToEnd } from './scenario-tls';
import * as s from './scenarios';

/** The whole run must end well inside CI's budget; a hung podman call must not hold it. */
const RUN_LIMIT_MS = 25 * 60_000;
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
  const run = async (scenario: string, body: () => Promise<string> | string) => {
    registered++;
    if (ONLY && !ONLY.includes(scenario.split('.')[0])) return;
    const start = Date.now();
    console.log(`e2e: ${scenario} ...`);
    try {
      const figures = await body();
      rows.push({ scenario, ok: true, seconds: (Date.now() - start) / 1000, figures });
      console.log(`e2e: ${scenario}: PASS ${figures}`);
    } catch (error) {
      rows.push({ scenario, ok: false, seconds: (Date.now() - start) / 1000, figures: (error as Error).message.split('\n')[0] });
      console.log(`e2e: ${scenario}: FAIL ${(error as Error).stack}`);
      await cluster.dumpLogs(200);
    }
  };

  const started = Date.now();
  try {
    await cluster.createNetwork();
    // The client's container stays on the network for the whole run, and so does the bridge.
    await client.start();
    await cluster.pinBridgeAddress();
    const ensemble = new Ensemble(synthesizeToYaml(s.e2eProps()), cluster);
    const ctx: s.Context = { cluster, ensemble, client, acked: new Map() };
    const failovers: Parameters<typeof s.leaderFailover>[2] = [];
    await run('1. 3 members reach quorum', () => s.quorumForms(ctx));
    if (rows[0] && !rows[0].ok) throw new Error('no quorum: the scenarios that need a running ensemble cannot run');
    await run('3. writes visible from every member', () => s.writesVisibleEverywhere(ctx));
    await run('4. leader SIGKILL under writes', () => s.leaderFailover(ctx, FAILOVER_RUNS, failovers));
    await run('5. killed member rejoins the quorum', () => s.rejoinFigures(failovers));
    await run('7. supervisord PID 1, logs, read-only root', () => s.supervisordIsPid1(ctx));
    await run('6. whole-ensemble restart keeps data', () => s.wholeEnsembleRestart(ctx));
    await run('2. probe semantics from the manifest', () => s.probeSemantics(ctx));
    await run('8. single-member ensemble', () => s.singleMember(cluster, client));
    await run('9. config change changes the checksum', () => s.configChangeRollsPods());
    await run('10. Prometheus: targets, alerts fire and resolve', () => alertsFireAndResolve(cluster, workdir));
    await run('11. observers: serve reads, no vote in the quorum', () => observersServeReadsWithoutVoting(cluster, client));
    await run('12. TLS: quorum, clients, renewal, rejected members', () => tlsEndToEnd(cluster, client, workdir));
    await run('13. arbitrary uid in group 0, admitted as OpenShift does', () => arbitraryUid(cluster, client));
    await run('14. SASL: quorum, clients, wrong quorum password', () => saslEndToEnd(cluster, client));
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
  const failed = rows.filter((r) => !r.ok).length;
  console.log(`${rows.length - failed} passed, ${failed} failed`);
  // Every registered scenario must have run: a partial run (E2E_ONLY, or a stop after scenario 1) never passes.
  return failed === 0 && rows.length === registered ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(1);
});
