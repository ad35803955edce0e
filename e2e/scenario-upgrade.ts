// Scenario 25: a version upgrade by changing the image profile, 3.8.4 -> 3.9.4, rolled by the
// project's default roll: the leader-last roll Job of the new synthesis, against the harness's API
// server model (e2e/api-server.ts, e2e/roll-job.ts), as scenario 23 plays it; then the downgrade
// back the same way. The production environment's settings are played under their own name, once
// with the default profile and once with `image: { profile: apache, version: 3.9.4, reference:
// ... }`, both on the local builds. Between the two syntheses only the image, the classpath and
// the version labels differ: no ConfigMap changes, so members not yet replaced keep running what
// they read at start. Asserted, besides the roll Job's own checks (exit 0, every pod of the new
// revision, nothing refused by RBAC): exactly one leader election, the leader replaced last; each
// replaced member back at a zxid no lower than it had and the highest zxid never going down;
// writes acknowledged while versions are mixed; no acknowledged write lost; afterwards every
// member reports the new version and the configuration zoo.cfg intends (member-configuration.ts).
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { Flavour, FLAVOURS, prodEnvironment, prodSettingsOn } from './flavours';
import { assertMembersRun, describeMembers, memberReport } from './member-configuration';
import { PlayedPods } from './roll-job';
import { rollByJobUnderWrites } from './roll-job-under-writes';
import { hex } from './zxid';
import { PREFIX } from './scenarios';

const NAME = 'zkup';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };

export class UpgradeDrill {
  private readonly ensembles: Record<'from' | 'to', Ensemble>;
  private readonly flavours: Record<'from' | 'to', Flavour> = { from: FLAVOURS.default, to: FLAVOURS.zookeeper39 };
  private readonly pods: PlayedPods;
  private rolls = 0;

  constructor(private readonly cluster: PodmanCluster, private readonly client: ZooKeeperClient, private readonly workdir: string) {
    this.ensembles = {
      from: new Ensemble(synthesizeToYaml(prodSettingsOn(this.flavours.from, NAME)), cluster),
      to: new Ensemble(synthesizeToYaml(prodSettingsOn(this.flavours.to, NAME)), cluster),
    };
    this.pods = new PlayedPods(cluster, new Date());
    this.pods.add(this.ensembles.from);
    this.pods.add(this.ensembles.to);
  }

  public get label(): string {
    return `${prodEnvironment().label}'s settings as ${NAME}, on ${this.flavours.from.label} and ${this.flavours.to.label}, rolled by the roll Job`;
  }

  /** 25.1: the ensemble starts on 3.8.4 and is rolled onto 3.9.4. */
  public async upgrade(): Promise<string> {
    const from = this.ensembles.from;
    await from.start();
    await from.waitForQuorum(120_000);
    return this.roll(from, this.ensembles.to, this.flavours.from, this.flavours.to);
  }

  /** 25.2: the upgraded ensemble is rolled back onto 3.8.4, its data written by 3.9.4 included. */
  public async downgrade(): Promise<string> {
    return this.roll(this.ensembles.to, this.ensembles.from, this.flavours.to, this.flavours.from);
  }

  public async destroy(): Promise<void> {
    await this.ensembles.from.destroy();
  }

  /**
   * The synthesis changes the image and nothing the servers read: the configuration each member
   * reports (its checksum) must be the same before and after, on either version.
   */
  private async roll(current: Ensemble, target: Ensemble, from: Flavour, to: Flavour): Promise<string> {
    const version = to.profile.props.zookeeperVersion;
    await current.waitForQuorum(120_000);
    const before = await assertMembersRun(current, from.profile.props.zookeeperVersion);
    const versions = async () => (await Promise.all(target.members.map((m) => memberReport(target, m)))).map((r) => r.version).join('/');
    const ctx = { cluster: this.cluster, client: this.client, pods: this.pods, workdir: this.workdir };
    const roll = await rollByJobUnderWrites(ctx, current, target, `${PREFIX}/upgrade-${++this.rolls}`, versions);
    expect(roll.elections === 1, `the roll cost ${roll.elections} leader elections (zxid ${hex(roll.startZxid)} -> ${hex(roll.endZxid)}), not 1`);
    // The roll's own check holds every member to the release its pods are labelled with: the target version.
    const after = roll.members;
    expect(after.every((r) => r.version === version), `after the roll: ${describeMembers(after)}, not all ${version}`);
    expect(after[0].conf === before[0].conf, `the members' configuration changed with the version: ${describeMembers(before)} before, ${describeMembers(after)} after`);
    return `before: ${describeMembers(before)}; ${roll.figures} (the same configuration as before); versions after each replacement ${roll.states.join(' -> ')}, `
      + `writes acked while mixed ${roll.acksBetween.join(', ')}`;
  }
}
