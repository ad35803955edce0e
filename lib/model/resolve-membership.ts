import { Membership } from '../membership-settings';
import { DynamicMembershipModel } from './ensemble-model';
import { DYNAMIC_FIRST_OBSERVER_MYID } from './resolve-topology';
import { SettingsReader } from './settings-reader';

/** The zookeeper ConfigMap's key holding the bootstrap list, and its file name where it is mounted. */
export const BOOTSTRAP_KEY = 'zoo.cfg.dynamic.bootstrap';

/**
 * What the preStop hook may take to remove a member from the ensemble before SIGTERM. A reconfig
 * commits in well under a second; the rest covers retries while another member's reconfig is in
 * progress or a leader is being elected (docs/membership-design.md).
 */
const LEAVE_SECONDS = 30;

/** Highest server id ZooKeeper accepts for a member of this construct (as resolve-topology's). */
const MAX_MYID = 255;

export interface MembershipInputs {
  readonly name: string;
  readonly namespace?: string;
  readonly clusterDomain: string;
  readonly peerService: string;
  /** Mode cluster: observers may come and go, with ids from DYNAMIC_FIRST_OBSERVER_MYID. */
  readonly withObservers: boolean;
  /** bootstrapVoters' default: the only way `replicas` reaches this model (see readMembership). */
  readonly replicas: number;
  readonly ports: { readonly client: number; readonly quorum: number; readonly election: number };
  /** TLS-only clients: the plaintext client port is bound to loopback, and listed so. */
  readonly clientOnLoopback: boolean;
  readonly configDir: string;
}

/**
 * Reads `membership` and `bootstrapVoters`: the dynamic membership's model, or undefined for the
 * static server list. Every value here reaches the members' pod template or ConfigMaps, which must
 * stay the same when replicas changes: `replicas` is only bootstrapVoters' default, for the first
 * deployment. Later syntheses must give bootstrapVoters (the environments app reads it from the
 * committed manifests), or a change of replicas would change the bootstrap list and roll the pods.
 */
export function readMembership(s: SettingsReader, inputs: MembershipInputs): DynamicMembershipModel | undefined {
  const membership = s.oneOf('membership', Membership.STATIC, Membership);
  const bootstrapVoters = s.int('bootstrapVoters', inputs.replicas, { min: 1, max: MAX_MYID });
  if (membership === Membership.STATIC) {
    if (s.has('bootstrapVoters') && !s.failed('membership')) {
      s.fail('bootstrapVoters', `has no effect with membership '${Membership.STATIC}', where zoo.cfg lists every voter; remove it, or set membership: '${Membership.DYNAMIC}'`);
    }
    return undefined;
  }
  if (inputs.withObservers && Math.max(inputs.replicas, bootstrapVoters) >= DYNAMIC_FIRST_OBSERVER_MYID) {
    s.fail('replicas', `must stay below ${DYNAMIC_FIRST_OBSERVER_MYID} with membership '${Membership.DYNAMIC}' in mode cluster, `
      + `where the observers' server ids start at ${DYNAMIC_FIRST_OBSERVER_MYID} (got ${Math.max(inputs.replicas, bootstrapVoters)})`);
  }
  // ZooKeeper reads one super digest, a JVM property: the members' own (for reconfig) or the Secret's.
  if (s.has('saslSuperDigestKey')) {
    s.fail('saslSuperDigestKey', `cannot be used with membership '${Membership.DYNAMIC}', under which each member makes its own super password `
      + `at every start to run reconfig with, and ZooKeeper takes one super digest only; leave it out, or keep membership '${Membership.STATIC}'`);
  }
  const { name, namespace, clusterDomain, peerService, ports } = inputs;
  const peerDomain = `${peerService}.${namespace}.svc.${clusterDomain}`;
  const voters = bootstrapVoters;
  const clientAddress = inputs.clientOnLoopback ? `127.0.0.1:${ports.client}` : String(ports.client);
  return {
    bootstrapVoters: voters,
    // ZooKeeper's dynamic file form: role and client address on the server line, no version line
    // (a dynamic file with `version=` is refused; an unsuffixed file is version 0).
    bootstrapServers: Array.from({ length: voters }, (_, ordinal) => [
      `server.${ordinal + 1}`, `${name}-${ordinal}.${peerDomain}:${ports.quorum}:${ports.election}:participant;${clientAddress}`,
    ] as const),
    bootstrapKey: BOOTSTRAP_KEY,
    bootstrapPath: `${inputs.configDir}/${BOOTSTRAP_KEY}`,
    role: `${name}-membership`,
    peerDomain,
    clientServiceFqdn: `${name}.${namespace}.svc.${clusterDomain}`,
    leaveSeconds: LEAVE_SECONDS,
  };
}
