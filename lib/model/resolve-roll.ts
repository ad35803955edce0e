import { RollStrategy } from '../roll-settings';
import { INSTANCE_LABEL_KEY } from './resolve-labels';
import { ProbeTiming, RollModel } from './ensemble-model';
import { SettingsReader } from './settings-reader';

/**
 * The roller pod's labels. Its `app.kubernetes.io/name` differs from the members' on purpose: the
 * Services, the budget and the members' NetworkPolicy select by name and instance, and must never
 * take the roller's pod for a member.
 */
const ROLLER_NAME_LABEL = { 'app.kubernetes.io/name': 'zookeeper-roll' };

const TEMPLATE_WAIT_SECONDS = 300;

/**
 * The most one voter may take to be back, serving and synced: its whole startup budget, then a few
 * readiness rounds and a sync with the leader; a minute covers both on a loaded node.
 */
function memberSeconds(startup: ProbeTiming): number {
  return startup.periodSeconds * startup.failureThreshold + 60;
}

/**
 * The longest a roll of every voter can take, the roll Job's deadline: every voter at its limit plus
 * the check before the first one, after the wait for the template and the JVM's start. The
 * StatefulSet's own roll waits for each pod the same way, without a deadline.
 */
export function longestRollSeconds(voters: number, startup: ProbeTiming): number {
  return TEMPLATE_WAIT_SECONDS + (voters + 1) * memberSeconds(startup) + 60;
}

export interface RollInputs {
  readonly name: string;
  readonly common: Readonly<Record<string, string>>;
  readonly voters: number;
  /** The members' startup probe: how long a member may take to start before Kubernetes restarts it. */
  readonly startup: ProbeTiming;
}

/**
 * Reads rollStrategy: the leader-last roll's model, or undefined when the StatefulSet rolls its
 * pods itself. A single server has no follower to roll first, and its budget (if any) forbids every
 * eviction, so it keeps the StatefulSet's roll unless told otherwise, and is refused the roller.
 */
export function readRoll(s: SettingsReader, inputs: RollInputs): RollModel | undefined {
  const single = inputs.voters === 1;
  const strategy = s.oneOf('rollStrategy', single ? RollStrategy.STATEFUL_SET : RollStrategy.LEADER_LAST, RollStrategy);
  if (strategy !== RollStrategy.LEADER_LAST) return undefined;
  if (single && !s.failed('replicas')) {
    s.fail('rollStrategy', `'${RollStrategy.LEADER_LAST}' needs more than one voter: a single server has no follower to roll first; use '${RollStrategy.STATEFUL_SET}'`);
  }
  const { name } = inputs;
  const selector = { ...ROLLER_NAME_LABEL, [INSTANCE_LABEL_KEY]: name };
  return {
    jobPrefix: `${name}-roll`,
    configMap: `${name}-roll`,
    serviceAccount: `${name}-roll`,
    role: `${name}-roll`,
    container: 'roll',
    selector,
    labels: { ...inputs.common, ...selector, 'app.kubernetes.io/component': 'roll' },
    memberSeconds: memberSeconds(inputs.startup),
    templateWaitSeconds: TEMPLATE_WAIT_SECONDS,
    deadlineSeconds: longestRollSeconds(inputs.voters, inputs.startup),
    ttlSecondsAfterFinished: 7 * 24 * 3600,
    heapMiB: 64,
    sourceDir: '/roll',
  };
}
