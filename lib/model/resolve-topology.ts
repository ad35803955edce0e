import { DeploymentMode } from '../deployment-mode';
import { AntiAffinity } from '../settings';
import { Member, MemberGroup, MemberRole } from './ensemble-model';
import { readLabels, roleLabels } from './resolve-labels';
import { SettingsReader } from './settings-reader';

/**
 * Most observers an ensemble may have. Each is a full copy of the data that the leader keeps in
 * sync; past a few dozen, reads scale better with a second ensemble than with more learners.
 */
const MAX_OBSERVERS = 32;
/** ZooKeeper server ids are 1..255 (the init script refuses anything else). */
const MAX_MYID = 255;
/** Fewest voters in mode cluster: five survive two failures, one more than highly-available. */
const MIN_CLUSTER_REPLICAS = 5;
/** The observers' StatefulSet is `<name>-observer`, so their pods are `<name>-observer-<ordinal>`. */
const OBSERVER_SUFFIX = '-observer';
/** The observers' zoo.cfg, beside the voters' in the same ConfigMap. */
const OBSERVER_ZOO_CFG = 'zoo-observer.cfg';
/**
 * The first observer's server id with a dynamic membership: the last MAX_OBSERVERS ids, whatever
 * replicas is. After the voters (as with a static list) the observers' ids, which their pod
 * template carries, would change with replicas and roll them; voters stay below it.
 */
export const DYNAMIC_FIRST_OBSERVER_MYID = MAX_MYID - MAX_OBSERVERS + 1;

/** The defaults a deployment mode sets. Every one of them yields to the setting of the same name. */
export interface ModePreset {
  readonly replicas: number;
  readonly memoryLimitMiB: number;
  readonly cpuRequestMillicores: number;
  readonly dataStorageGiB: number;
  readonly antiAffinity: AntiAffinity;
  readonly podDisruptionBudget: boolean;
}

/** What production ensembles get: room for a data tree of a few hundred MB, one member per node. */
const PRODUCTION = {
  memoryLimitMiB: 2048,
  cpuRequestMillicores: 500,
  dataStorageGiB: 20,
  antiAffinity: AntiAffinity.REQUIRED,
  podDisruptionBudget: true,
};

export const MODE_PRESETS: Readonly<Record<DeploymentMode, ModePreset>> = {
  [DeploymentMode.STANDALONE]: {
    replicas: 1,
    // The smallest limit the heap rule accepts: half of it (heapPercent 50) is a 256 MiB heap and
    // the other half exactly the 256 MiB the rest of the JVM needs. A development data tree of
    // thousands of znodes takes a few MB of heap.
    memoryLimitMiB: 512,
    // An idle server needs a few millicores; 100m fits a laptop cluster. There is still no CPU
    // limit, so loading a snapshot or a burst of requests may use more.
    cpuRequestMillicores: 100,
    // Development data is megabytes. The transaction log's 64 MiB preallocation is a single byte
    // written at the end (a sparse file), and autopurge keeps 30 snapshots of a small tree.
    dataStorageGiB: 1,
    // One member has no other member to keep away from: the soft rule says no layout is needed.
    antiAffinity: AntiAffinity.PREFERRED,
    // A budget for one member (minAvailable 1) blocks every drain of its node until someone
    // deletes the budget; a development server may simply be evicted and start elsewhere.
    podDisruptionBudget: false,
  },
  [DeploymentMode.HIGHLY_AVAILABLE]: { replicas: 3, ...PRODUCTION },
  [DeploymentMode.CLUSTER]: { replicas: MIN_CLUSTER_REPLICAS, ...PRODUCTION },
};

/** The mode, its preset, and how many members of each role the ensemble has. */
export interface Topology {
  readonly mode: DeploymentMode;
  readonly preset: ModePreset;
  readonly replicas: number;
  readonly quorumSize: number;
  readonly observers: number;
}

/**
 * Reads mode, replicas, allowEvenReplicas and observers, and checks them against each other.
 * `name` is the (valid) ensemble name; `maxStatefulSetName` the longest StatefulSet name allowed.
 */
export function readTopology(s: SettingsReader, name: string, maxStatefulSetName: number): Topology {
  const mode = s.oneOf('mode', DeploymentMode.HIGHLY_AVAILABLE, DeploymentMode);
  const preset = MODE_PRESETS[mode];

  const replicas = s.int('replicas', preset.replicas, { min: 1, max: MAX_MYID });
  const allowEven = s.bool('allowEvenReplicas', false);
  if (mode === DeploymentMode.STANDALONE && replicas !== 1) {
    s.fail('replicas', `must be 1 in mode '${mode}' (got ${replicas}): a standalone server runs alone; `
      + `use mode '${DeploymentMode.HIGHLY_AVAILABLE}' or '${DeploymentMode.CLUSTER}' for an ensemble`);
  } else if (mode === DeploymentMode.CLUSTER && replicas < MIN_CLUSTER_REPLICAS) {
    s.fail('replicas', `must be at least ${MIN_CLUSTER_REPLICAS} in mode '${mode}' (got ${replicas}); `
      + `use mode '${DeploymentMode.HIGHLY_AVAILABLE}' for ${replicas} voting member${replicas === 1 ? '' : 's'}`);
  } else if (replicas % 2 === 0 && !allowEven) {
    s.fail('replicas', `must be odd (got ${replicas}): ${replicas} members tolerate no more failures than ${replicas - 1}; set allowEvenReplicas: true to accept it anyway`);
  }

  const observers = s.int('observers', 0, { min: 0, max: MAX_OBSERVERS });
  if (observers > 0 && mode !== DeploymentMode.CLUSTER && !s.failed('mode')) {
    s.fail('observers', `are only allowed in mode '${DeploymentMode.CLUSTER}' (mode is '${mode}'): `
      + `set mode: '${DeploymentMode.CLUSTER}' with at least ${MIN_CLUSTER_REPLICAS} replicas, or leave observers at 0`);
  } else if (replicas + observers > MAX_MYID) {
    s.fail('observers', `${observers} observers after ${replicas} voting members need server ids up to ${replicas + observers}; ZooKeeper allows at most ${MAX_MYID}`);
  }
  if (observers > 0 && name.length + OBSERVER_SUFFIX.length > maxStatefulSetName) {
    s.fail('name', `must be at most ${maxStatefulSetName - OBSERVER_SUFFIX.length} characters with observers (got ${name.length}): `
      + `the observers' StatefulSet '${name}${OBSERVER_SUFFIX}' may have at most ${maxStatefulSetName}`);
  }

  return { mode, preset, replicas, quorumSize: Math.floor(replicas / 2) + 1, observers };
}

/**
 * The members of each role. Voters have myid 1..R, observers R+1..R+O: ids never move when
 * observers are added, so the voters' volumes keep matching their myid files. With a dynamic
 * membership (`dynamic`) the observers' ids start at DYNAMIC_FIRST_OBSERVER_MYID instead, so that
 * neither group's ids depend on the other's size.
 */
export function resolveMembers(name: string, topology: Topology, peerDomain: string, dynamic = false) {
  const membersOf = (role: MemberRole, statefulSet: string, count: number, firstMyid: number): Member[] =>
    Array.from({ length: count }, (_, ordinal) => ({
      role,
      ordinal,
      myid: firstMyid + ordinal,
      podName: `${statefulSet}-${ordinal}`,
      fqdn: `${statefulSet}-${ordinal}.${peerDomain}`,
    }));
  return {
    voters: membersOf('voter', name, topology.replicas, 1),
    observers: membersOf('observer', `${name}${OBSERVER_SUFFIX}`, topology.observers, dynamic ? DYNAMIC_FIRST_OBSERVER_MYID : topology.replicas + 1),
  };
}

export interface GroupInputs {
  readonly name: string;
  readonly topology: Topology;
  readonly members: ReturnType<typeof resolveMembers>;
  readonly labels: ReturnType<typeof readLabels>;
  readonly configDir: string;
  readonly zooCfgPath: string;
  /** The entries every member's zoo.cfg shares. */
  readonly zooCfg: readonly (readonly [string, string])[];
  readonly podDisruptionBudget: boolean;
  /**
   * Whether the observers' group exists even with no observer (a dynamic membership in mode
   * cluster): its StatefulSet then has 0 replicas, and its zoo.cfg is in the ConfigMap, so a
   * change of observers changes neither the ConfigMap nor any pod template.
   */
  readonly observersAlways?: boolean;
}

/** The voters' group, and the observers' when there are observers (or observersAlways). */
export function resolveMemberGroups(cfg: GroupInputs): MemberGroup[] {
  const { name, topology, members, labels } = cfg;
  const voters: MemberGroup = {
    role: 'voter',
    statefulSet: name,
    members: members.voters,
    firstMyid: 1,
    ...roleLabels(labels, 'voter'),
    zooCfgPath: cfg.zooCfgPath,
    zooCfg: cfg.zooCfg,
    // An eviction is allowed only while more than a quorum of voters is Ready; voters that are not
    // Ready may be waiting for a quorum to re-form, so they are protected by the same budget.
    disruptionBudget: cfg.podDisruptionBudget
      ? { name, minAvailable: topology.quorumSize, unhealthyPodEvictionPolicy: 'IfHealthyBudget' }
      : undefined,
  };
  if (members.observers.length === 0 && !cfg.observersAlways) return [voters];

  const statefulSet = `${name}${OBSERVER_SUFFIX}`;
  const observers: MemberGroup = {
    role: 'observer',
    statefulSet,
    members: members.observers,
    firstMyid: cfg.observersAlways ? DYNAMIC_FIRST_OBSERVER_MYID : topology.replicas + 1,
    ...roleLabels(labels, 'observer'),
    zooCfgPath: `${cfg.configDir}/${OBSERVER_ZOO_CFG}`,
    // ZooKeeper takes the role from the server's own line in the server list and only warns when
    // peerType disagrees; stating it keeps the observers' start free of that warning.
    zooCfg: [...cfg.zooCfg, ['peerType', 'observer']],
    // Observers carry no quorum: losing them costs read capacity only. One at a time keeps most of
    // it through a drain and never blocks one; an observer that is not Ready serves nobody, so it
    // may always be evicted.
    disruptionBudget: cfg.podDisruptionBudget
      ? { name: statefulSet, maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' }
      : undefined,
  };
  return [voters, observers];
}
