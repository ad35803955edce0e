// The app: which charts exist and with which settings. Everything else lives in lib/.
import { runSynthesis, ZooKeeperChart } from './lib';

runSynthesis((app) => {
  // A production ensemble of three members in the `zookeeper` namespace, with all defaults.
  new ZooKeeperChart(app, 'zookeeper', { namespace: 'zookeeper' });
});
