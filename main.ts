// The app: which charts exist and with which settings. Everything else lives in lib/.
import { App } from 'cdk8s';
import { runSynthesis, ZooKeeperChart } from './lib';

/** The charts of this app; tests build the same app through this function. */
export function defineApp(app: App): void {
  // A production ensemble of three members in the `zookeeper` namespace, with all defaults.
  new ZooKeeperChart(app, 'zookeeper', { namespace: 'zookeeper' });
}

if (require.main === module) runSynthesis(defineApp);
