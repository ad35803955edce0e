// Scenario 21: the post-deploy check Job of dist/prod, run as the Job controller would run it,
// against the live ensemble: healthy, with a member down, without a quorum, and with the leader
// killed while it runs.
import { PodmanCluster } from './cluster';
import { Ensemble } from './ensemble';
import { CheckRun, checkTopology, expectPassed, runCheck, startCheck } from './post-deploy-check';
import { waitFor } from './podman';
import { Context } from './scenarios';

/** ZK_CHECK_ROOT of dist/prod's Job. */
const CHECK_ROOT = '/cdk8s-zookeeper-check';
const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const lineOf = (run: CheckRun, step: string) => run.log.split('\n').find((line) => line.startsWith(`post-deploy-check: ${step}`)) ?? '';

/** 21.1: every step passes against the healthy ensemble, and nothing it created is left. */
export async function checkPasses(ctx: Context): Promise<string> {
  const run = await runCheck(ctx.cluster, ctx.ensemble);
  expectPassed(run);
  expect(!await ctx.client.exists(ctx.ensemble.hosts(), CHECK_ROOT), `the check left ${CHECK_ROOT} behind`);
  return `${run.steps.length} steps passed in ${run.seconds.toFixed(1)} s (pod start to exit); ${lineOf(run, 'PASS ensemble').slice('post-deploy-check: PASS '.length)}`;
}

/** 21.2: with one voter's pod deleted, the check passes and names the member that is down. */
export async function checkPassesWithMemberDown(ctx: Context): Promise<string> {
  const { voters, quorum } = checkTopology(ctx.ensemble.objects);
  if (voters.length - 1 < quorum) return `not applicable: ${voters.length} voter(s), one down leaves no quorum (21.3 covers that)`;
  const down = ctx.ensemble.members.find((m) => m.fqdn === voters[voters.length - 1])!;
  await ctx.ensemble.delete([down]);
  try {
    const run = await runCheck(ctx.cluster, ctx.ensemble);
    expectPassed(run);
    expect(lineOf(run, 'PASS ensemble').includes(`down, tolerated while a quorum serves: ${down.name} unreachable`),
      `the ensemble line does not report ${down.name} as down: ${lineOf(run, 'PASS ensemble')}`);
    return `passed in ${run.seconds.toFixed(1)} s with ${down.name} down, reported as down`;
  } finally {
    await ctx.ensemble.start([down]);
    await ctx.ensemble.waitForQuorum(120_000);
  }
}

/** 21.3: with all members but one voter down (two of three), the check fails at its first step and says why. */
export async function checkFailsWithoutQuorum(ctx: Context): Promise<string> {
  const { voters, quorum } = checkTopology(ctx.ensemble.objects);
  // One voter stays up, out of its quorum; a single server has none to lose, so it goes too.
  const up = voters.length > 1 ? ctx.ensemble.members.filter((m) => m.fqdn === voters[0]) : [];
  const down = ctx.ensemble.members.filter((m) => !up.includes(m));
  await ctx.ensemble.delete(down);
  try {
    const run = await runCheck(ctx.cluster, ctx.ensemble);
    const fail = lineOf(run, 'FAIL ensemble');
    expect(run.code === 1 && run.steps[0] === 'FAIL ensemble' && /FAILED at step 'ensemble'/.test(run.log),
      `expected exit 1 naming the ensemble step, got ${run.code} with ${JSON.stringify(run.steps)}:\n${run.log}`);
    // The member left up is not in a quorum, so it does not serve either.
    const left = up.length ? `; ${up[0].name} up but not serving` : '';
    expect(fail.includes(`no quorum: 0 of ${voters.length} voters serve, a quorum is ${quorum}${left}`),
      `the failure does not say the quorum is lost: ${fail}`);
    return `exit 1 after ${run.seconds.toFixed(1)} s: ${fail.slice('post-deploy-check: '.length, 160)}`;
  } finally {
    await ctx.ensemble.start(down);
    await ctx.ensemble.waitForQuorum(120_000);
  }
}

/**
 * 21.11: a run that fails part-way (stopped on purpose after its leader-election step, with its
 * run's znodes in place) still removes every znode it created, and exits 1 naming the step.
 */
export async function checkCleansUpAfterFailure(ctx: Context): Promise<string> {
  const run = await runCheck(ctx.cluster, ctx.ensemble, { ZK_CHECK_FAIL_AFTER: 'leader-election' });
  const cleanup = lineOf(run, 'PASS cleanup');
  expect(run.code === 1 && /FAILED at step 'injected'/.test(run.log), `expected exit 1 at the injected step, got ${run.code}:\n${run.log}`);
  expect(run.steps.includes('PASS leader-election') && !run.steps.some((step) => step.endsWith('service-discovery')), `the run did not stop after leader-election: ${run.steps.join(', ')}`);
  const removed = Number(/removed (\d+) znodes/.exec(cleanup)?.[1] ?? 0);
  expect(removed > 0, `the cleanup line names no znode removed: ${cleanup || run.log}`);
  expect(!await ctx.client.exists(ctx.ensemble.hosts(), CHECK_ROOT), `the failed run left ${CHECK_ROOT} behind`);
  return `exit 1 after ${run.steps.filter((step) => step.startsWith('PASS')).length} passed steps; ${cleanup.slice('post-deploy-check: PASS '.length)}; ${CHECK_ROOT} gone`;
}

/** 21.4: the leader's JVM is killed while the check runs its znode steps; the check still passes. */
export async function checkSurvivesLeaderKill(ctx: Context): Promise<string> {
  const leader = await ctx.ensemble.leader();
  const check = await startCheck(ctx.cluster, ctx.ensemble);
  // Kill once the check has a session and is creating znodes: mid-run, where retries matter.
  await waitFor('the check to reach its znode steps', 120_000, 100, async () => (/PASS ensemble/.test(await check.log()) || undefined));
  await ctx.ensemble.killServer(leader);
  const run = await check.finished;
  expectPassed(run);
  await ctx.ensemble.waitForQuorum(120_000);
  return `passed in ${run.seconds.toFixed(1)} s with the leader ${leader.name} killed after the ensemble step`;
}

/**
 * 21.5 and 21.6: the check of an ensemble built for another scenario (TLS in 12, SASL in 14), run
 * while that ensemble serves: the same Job, with the Secrets its members use.
 */
export async function checkPassesOn(cluster: PodmanCluster, ensemble: Ensemble, extraSteps: string[] = []): Promise<string> {
  const run = await runCheck(cluster, ensemble);
  expectPassed(run, extraSteps);
  const extra = extraSteps.map((step) => lineOf(run, `PASS ${step}`).slice('post-deploy-check: PASS '.length)).join('; ');
  return `${run.steps.length} steps passed in ${run.seconds.toFixed(1)} s${extra ? `; ${extra}` : ''}`;
}
