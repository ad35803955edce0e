// Scenario 25: a version upgrade by changing the image profile, 3.8.4 -> 3.9.4, rolled as the
// StatefulSet's RollingUpdate rolls it (rollStrategy statefulset; e2e/rolling-update.ts) under a
// writer; the default leader-last roll Job is proven on its own in scenario 23; then the downgrade
// back the same way. The production environment's settings are played under their own name, once
// with the default profile and once with `image: { profile: apache, version: 3.9.4, reference:
// ... }`, both on the local builds. Between the two syntheses only the image, the classpath and
// the version labels differ: no ConfigMap changes, so members not yet replaced keep running what
// they read at start. Asserted besides the roll's own checks: while versions are mixed, every
// member serves and writes are acknowledged; afterwards every member reports the new version.
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { RollStrategy } from '../lib';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { Flavour, FLAVOURS, prodEnvironment, prodSettingsOn } from './flavours';
import { rollFigures, rollUnderWrites } from './rolling-update';
import { PREFIX } from './scenarios';

const NAME = 'zkup';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };

export class UpgradeDrill {
  private readonly ensembles: Record<'from' | 'to', Ensemble>;
  private readonly flavours: Record<'from' | 'to', Flavour> = { from: FLAVOURS.default, to: FLAVOURS.zookeeper39 };
  private rolls = 0;

  constructor(private readonly cluster: PodmanCluster, private readonly client: ZooKeeperClient) {
    this.ensembles = {
      from: new Ensemble(synthesizeToYaml({ ...prodSettingsOn(this.flavours.from, NAME), rollStrategy: RollStrategy.STATEFUL_SET }), cluster),
      to: new Ensemble(synthesizeToYaml({ ...prodSettingsOn(this.flavours.to, NAME), rollStrategy: RollStrategy.STATEFUL_SET }), cluster),
    };
  }

  public get label(): string {
    return `${prodEnvironment().label}'s settings as ${NAME}, on ${this.flavours.from.label} and ${this.flavours.to.label}`;
  }

  /** 25.1: the ensemble starts on 3.8.4 and is rolled onto 3.9.4. */
  public async upgrade(): Promise<string> {
    const from = this.ensembles.from;
    await from.start();
    await from.waitForQuorum(120_000);
    return this.roll(from, this.ensembles.to, this.flavours.to);
  }

  /** 25.2: the upgraded ensemble is rolled back onto 3.8.4, its data written by 3.9.4 included. */
  public async downgrade(): Promise<string> {
    return this.roll(this.ensembles.to, this.ensembles.from, this.flavours.from);
  }

  public async destroy(): Promise<void> {
    await this.ensembles.from.destroy();
  }

  private async roll(current: Ensemble, target: Ensemble, flavour: Flavour): Promise<string> {
    const version = flavour.profile.props.zookeeperVersion;
    const versions = async () => Promise.all(target.members.map(async (m) => (await target.mntr(m)).get('zk_version')?.split('-')[0]));
    let mixed = 0;
    const result = await rollUnderWrites(this.cluster, this.client, current, target, `${PREFIX}/upgrade-${++this.rolls}`, async () => {
      const now = await versions();
      if (new Set(now).size > 1) mixed++;
      return now.join('/');
    });
    const after = await versions();
    expect(after.every((v) => v === version), `after the roll the members report ${after.join(', ')}, not ${version}`);
    expect(mixed > 0, 'no state of the roll had mixed versions serving');
    return `${rollFigures(target, result)}; versions after each step ${result.states.join(' -> ')}, ${mixed} mixed state(s) serving writes; all report ${version}`;
  }
}
