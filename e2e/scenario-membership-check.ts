// Row 29.8, after its 3 -> 5: the proof that the post-deploy check's membership step
// (PostDeployCheck.judgeMembership, under `membership: dynamic`) can fail, and that the roll Job
// takes no member down meanwhile. What both catch is a member that follows the leader without
// being a voter: `srvr` says follower and the leader's synced_followers counts it, so the other
// tests of the ensemble pass; only the leader's membership (the check) or its quorum_size (the
// roll Job, Roller.awaitHealthy) tells.
//
// One of the new members is made such a follower by hand: its `membership` program stopped (its
// membership-watch.sh would add it back), then its server removed from the voters from inside its
// pod, with the scripts and the super password its preStop hook uses. The check, with a short step,
// must fail its ensemble step naming the leader's membership of 4 voters while the Job expects 5;
// the roll Job, with a short bound, must stop on the leader's count of 4 voters, evicting nobody.
// Then the program is started again: the member adds itself, every member counts 5 voters again,
// and both pass.
import * as path from 'path';
import { MEMBERSHIP_PROGRAM } from '../lib/render/supervisord-conf';
import { mainContainer, PodmanCluster } from './cluster';
import { Ensemble } from './ensemble';
import { ExpandedPod } from './expand';
import { waitFor } from './podman';
import { CheckRun, expectPassed, runCheck } from './post-deploy-check';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** The step deadline of the check that must fail: it retries the membership until then, not the Job's minutes. */
const SHORT_STEP_SECONDS = 15;
const MEMBERSHIP_FAILURE = /^post-deploy-check: FAIL ensemble: the leader (\S+)'s membership \(version \w+\) lists the voters \[([^\]]*)\], the Job expects \[([^\]]*)\] \[([\d.]+) s\]$/m;
const ROLL_STOPPED = /^roll: STOPPED after [\d.]+ s: the ensemble was not whole within (\d+) s \(the leader (\S+) counts (\d+) voters \(quorum_size\), this Job (\d+): [^)]*\); no member was taken down$/m;

/** One run of the roll Job (its pod as the Job controller would run it), and the pods it evicted. */
export interface RollRun { readonly code: number; readonly log: string; readonly seconds: number; readonly evictions: string[] }

/**
 * @param members the running members, every one a voter (myid = ordinal + 1)
 * @param settled resolves once every member counts every running member as a voter again
 * @param rollJob runs the synthesis' roll Job once, `env` replacing the Job's values
 */
export async function checkFailsWhileAFollowerDoesNotVote(cluster: PodmanCluster, ensemble: Ensemble, members: ExpandedPod[], settled: () => Promise<void>,
  rollJob: (env: Record<string, string>) => Promise<RollRun>): Promise<string> {
  const leader = await ensemble.leader(members);
  const member = [...members].reverse().find((m) => m.name !== leader.name)!;
  const supervisorctl = (action: string) => ensemble.exec(member, ['supervisorctl', '-c', ensemble.supervisordConf(), action, MEMBERSHIP_PROGRAM], 60_000);
  await supervisorctl('stop');
  let stopped = true;
  try {
    await removeFromTheVoters(ensemble, member);
    const follows = await waitFor(`${member.name} to follow ${leader.name} as a non-voter`, 60_000, 1000, () => followsWithoutVoting(ensemble, member, leader, members.length));
    const failed = await runCheck(cluster, ensemble, { ZK_CHECK_STEP_SECONDS: String(SHORT_STEP_SECONDS), ZK_CHECK_MEMBERSHIP_SECONDS: String(SHORT_STEP_SECONDS) });
    const why = judgeFailure(failed, leader, member, members.length);
    const stoppedRoll = await rollJob({ ZK_ROLL_MEMBER_SECONDS: String(SHORT_STEP_SECONDS) });
    const rollWhy = judgeRollStopped(stoppedRoll, leader, members.length);
    const start = Date.now();
    await supervisorctl('start');
    stopped = false;
    await settled();
    const readdedMs = Date.now() - start;
    const passed = await runCheck(cluster, ensemble);
    expectPassed(passed);
    const ensembleLine = /^post-deploy-check: PASS ensemble: (.*)$/m.exec(passed.log)![1];
    expect(new RegExp(`lists exactly the ${members.length} voters`).test(ensembleLine), `the check passed without reading every voter in the membership: ${ensembleLine}`);
    const rolled = await rollJob({});
    expect(rolled.code === 0 && rolled.evictions.length === 0 && /^roll: DONE every voter of revision \S+ \(0 replaced\)/m.test(rolled.log),
      `the roll Job did not pass once ${member.name} voted again: it exited ${rolled.code}, evicted [${rolled.evictions.join(', ')}]:\n${rolled.log}`);
    return `then ${member.name} out of the voters with its ${MEMBERSHIP_PROGRAM} program stopped: ${follows}; the check (step ${SHORT_STEP_SECONDS} s) failed in ${s(failed.seconds * 1000)}: "${why}"; `
      + `the roll Job (bound ${SHORT_STEP_SECONDS} s) stopped in ${s(stoppedRoll.seconds * 1000)}, evicting nobody: "${rollWhy}"; `
      + `the program started again: a voter again, every member counting ${members.length} voters, ${s(readdedMs)} later; the check passed again (${s(passed.seconds * 1000)}): "${ensembleLine}"; `
      + `the roll Job passed again (${s(rolled.seconds * 1000)}), evicting nobody`;
  } finally {
    if (stopped) await supervisorctl('start').catch(() => undefined);
  }
}

/** `reconfig -remove` of the member's own id, in its own pod, as leave-ensemble.sh removes it. */
async function removeFromTheVoters(ensemble: Ensemble, member: ExpandedPod): Promise<void> {
  const [bash, leave] = mainContainer(member).lifecycle.preStop.exec.command;
  const common = path.posix.join(path.posix.dirname(leave), 'membership-common.sh');
  const script = 'source "$1" && { reconfig -remove "$myid" || { echo "the removal did not commit: $reconfig_error" >&2; exit 1; }; }';
  await ensemble.exec(member, [bash, '-c', script, 'remove-from-the-voters', common], 60_000);
}

/**
 * What makes the membership step needed: the member, no voter in the leader's view, still answers
 * `srvr` as a follower, and the leader's synced_followers counts it. Undefined until so.
 */
async function followsWithoutVoting(ensemble: Ensemble, member: ExpandedPod, leader: ExpandedPod, n: number): Promise<string | undefined> {
  const [srvr, mntr, view] = await Promise.all([ensemble.fourLetterWord(member, 'srvr'), ensemble.mntr(leader), ensemble.adminCommand(leader, 'voting_view')]);
  const mode = /^Mode: (\w+)/m.exec(srvr)?.[1];
  const voters = Object.keys(view.body?.current_config ?? {}).map(Number).sort((a, b) => a - b);
  const synced = Number(mntr.get('zk_synced_followers'));
  if (mode !== 'follower' || voters.length !== n - 1 || voters.includes(member.ordinal + 1) || synced !== n - 1) return undefined;
  return `srvr Mode: ${mode}, the leader ${leader.name}'s voters {${voters.join(',')}}, its synced_followers ${synced} `
    + `(synced_non_voting_followers ${mntr.get('zk_synced_non_voting_followers') ?? 'not reported'})`;
}

/** The roll Job stopped before taking anyone down, and only because the leader counts one voter fewer than the Job. */
function judgeRollStopped(run: RollRun, leader: ExpandedPod, n: number): string {
  const line = ROLL_STOPPED.exec(run.log);
  expect(run.code === 1 && run.evictions.length === 0 && line !== null,
    `the roll Job did not stop on the leader's count of voters with a member no voter: it exited ${run.code}, evicted [${run.evictions.join(', ')}]:\n${run.log}`);
  const [, bound, by, counted, wanted] = line!;
  expect(Number(bound) === SHORT_STEP_SECONDS, `the roll Job waited ${bound} s, not the ${SHORT_STEP_SECONDS} s it was given`);
  expect(by === leader.name && Number(counted) === n - 1 && Number(wanted) === n, `the roll Job read ${counted} voters from ${by} against ${wanted}; expected ${n - 1} from the leader ${leader.name} against ${n}`);
  return line![0].replace(/^roll: STOPPED after [\d.]+ s: /, '');
}

/** The check failed its ensemble step, and only because the leader's membership lacks the member. */
function judgeFailure(run: CheckRun, leader: ExpandedPod, member: ExpandedPod, n: number): string {
  const line = MEMBERSHIP_FAILURE.exec(run.log);
  expect(run.code !== 0 && JSON.stringify(run.steps) === JSON.stringify(['FAIL ensemble', 'PASS cleanup']) && line !== null,
    `the check did not fail on the membership with ${member.name} no voter: it exited ${run.code} with steps ${JSON.stringify(run.steps)}:\n${run.log}`);
  const [, by, listed, wanted] = line!;
  const names = (list: string) => list.split(', ').filter((x) => x !== '');
  expect(by === leader.name, `the check read the membership of ${by}, not of the leader ${leader.name}`);
  expect(names(listed).length === n - 1 && !names(listed).includes(member.name), `the check's leader lists the voters [${listed}], expected ${n - 1} without ${member.name}`);
  expect(names(wanted).length === n && names(wanted).includes(member.name), `the check expects the voters [${wanted}], not the Job's ${n}`);
  return line![0].slice('post-deploy-check: FAIL ensemble: '.length);
}
