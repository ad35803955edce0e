/**
 * Two constructs of one app must never write the same object (kind, namespace and name): applied
 * together, one would overwrite the other, and deleting either would delete both. The second is
 * refused with the setting that tells them apart.
 */
import { App, Chart, Testing } from 'cdk8s';
import { DeploymentMode, ZooKeeperChart, ZooKeeperEnsemble, ZooKeeperSettingsError } from '../lib';

function refusal(build: () => void): ZooKeeperSettingsError {
  try {
    build();
  } catch (error) {
    if (error instanceof ZooKeeperSettingsError) return error;
    throw error;
  }
  throw new Error('both were accepted');
}

describe('two ensembles in one namespace', () => {
  test('with the default name are refused on name, naming what they would both write and the first one', () => {
    const chart = new Chart(new App(), 'app', { namespace: 'zk' });
    new ZooKeeperEnsemble(chart, 'orders');
    const error = refusal(() => new ZooKeeperEnsemble(chart, 'payments'));
    expect(error.issues).toEqual([{
      setting: 'name',
      message: expect.stringMatching(/^would write ServiceAccount zk\/zookeeper, .* and \d+ more, which 'app\/orders' already writes in the same app; give each ensemble of the namespace 'zk' its own name/),
    }]);
  });

  test('in two charts of one app are refused the same way', () => {
    const app = new App();
    new ZooKeeperEnsemble(new Chart(app, 'one', { namespace: 'zk' }), 'ensemble');
    expect(refusal(() => new ZooKeeperEnsemble(new Chart(app, 'two', { namespace: 'zk' }), 'ensemble')).issues[0].setting).toBe('name');
  });

  test('named like the other\'s observers are refused on the objects they share', () => {
    const chart = new Chart(new App(), 'app', { namespace: 'zk' });
    new ZooKeeperEnsemble(chart, 'big', { mode: DeploymentMode.CLUSTER, observers: 1 });
    const error = refusal(() => new ZooKeeperEnsemble(chart, 'small', { name: 'zookeeper-observer' }));
    expect(error.issues).toEqual([{ setting: 'name', message: expect.stringMatching(/^would write StatefulSet\.apps zk\/zookeeper-observer, PodDisruptionBudget\.policy zk\/zookeeper-observer, which 'app\/big' already writes/) }]);
  });

  test('with their own names synthesize side by side, every object once', () => {
    const chart = new Chart(Testing.app(), 'app', { namespace: 'zk' });
    new ZooKeeperEnsemble(chart, 'orders', { name: 'orders-zk' });
    new ZooKeeperEnsemble(chart, 'payments', { name: 'payments-zk' });
    const ids = Testing.synth(chart).map((o: any) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
    expect(ids.length).toBeGreaterThan(20);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('two charts of one app in one namespace', () => {
  test('that both create the Namespace are refused on createNamespace', () => {
    const app = new App();
    new ZooKeeperChart(app, 'orders', { name: 'orders' });
    const error = refusal(() => new ZooKeeperChart(app, 'payments', { name: 'payments' }));
    expect(error.issues).toEqual([{ setting: 'createNamespace', message: expect.stringMatching(/^would write Namespace zookeeper, which 'orders' already writes in the same app; set createNamespace: false/) }]);
  });

  test('are accepted when only one creates it', () => {
    const app = new App();
    new ZooKeeperChart(app, 'orders', { name: 'orders' });
    expect(() => new ZooKeeperChart(app, 'payments', { name: 'payments', createNamespace: false })).not.toThrow();
  });
});
