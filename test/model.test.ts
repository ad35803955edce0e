import { DeploymentMode, ImageProfile, resolveEnsemble } from '../lib';
import { ZOO_CFG_KEY_OWNERS } from '../lib/model/zoo-cfg-entries';
import { parseIni } from './support/ini';
import { parseZooCfg, synthEnsemble } from './support/synth';

describe('the member list', () => {
  test('a single member runs standalone, without a server list', () => {
    const model = resolveEnsemble({ namespace: 'zk', replicas: 1 });
    expect(model.zooCfg.filter(([k]) => k.startsWith('server.'))).toEqual([]);
    expect(model.zooCfg).toContainEqual(['standaloneEnabled', 'true']);
    expect(model.members.map((m) => m.myid)).toEqual([1]);
  });

  test.each([3, 5, 7])('an ensemble of %i lists every member once, with myid = ordinal + 1 and its full peer DNS name', (replicas) => {
    // GIVEN an ensemble in namespace zk with a custom cluster domain
    const model = resolveEnsemble({ name: 'zk', namespace: 'zk', replicas, clusterDomain: 'k8s.example.org' });

    // WHEN zoo.cfg is rendered
    const servers = [...parseZooCfg(model.zooCfg.map(([k, v]) => `${k}=${v}`).join('\n'))].filter(([k]) => k.startsWith('server.'));

    // THEN there is one server line per member, pointing at its pod through the peer Service
    expect(servers).toEqual(Array.from({ length: replicas }, (_, i) => [
      `server.${i + 1}`, `zk-${i}.zk-headless.zk.svc.k8s.example.org:2888:3888`,
    ]));
    expect(model.members.map((m) => m.podName)).toEqual(Array.from({ length: replicas }, (_, i) => `zk-${i}`));
  });

  test('server lines follow custom quorum and election ports', () => {
    const model = resolveEnsemble({ namespace: 'zk', quorumPort: 12888, electionPort: 13888 });
    expect(model.zooCfg).toContainEqual(['server.2', 'zookeeper-1.zookeeper-headless.zk.svc.cluster.local:12888:13888']);
  });

  test.each([[1, 1], [3, 2], [5, 3], [7, 4]])('an ensemble of %i needs %i members for a quorum', (replicas, quorum) => {
    expect(resolveEnsemble({ namespace: 'zk', replicas }).quorumSize).toBe(quorum);
  });

  test('an even ensemble is accepted only when explicitly allowed', () => {
    expect(() => resolveEnsemble({ namespace: 'zk', replicas: 4 })).toThrow(/replicas: must be odd/);
    expect(resolveEnsemble({ namespace: 'zk', replicas: 4, allowEvenReplicas: true }).quorumSize).toBe(3);
  });
});

describe('the JVM heap', () => {
  test('defaults to half of the memory limit', () => {
    expect(resolveEnsemble({ namespace: 'zk' }).jvm.heapMiB).toBe(1024);
    expect(resolveEnsemble({ namespace: 'zk', memoryLimitMiB: 4096 }).jvm.heapMiB).toBe(2048);
  });

  test('follows heapPercent of the memory limit, rounded down', () => {
    expect(resolveEnsemble({ namespace: 'zk', memoryLimitMiB: 3000, heapPercent: 75 }).jvm.heapMiB).toBe(2250);
  });

  test('can be fixed with heapMiB as long as it leaves room for the rest of the JVM', () => {
    expect(resolveEnsemble({ namespace: 'zk', memoryLimitMiB: 2048, heapMiB: 1792 }).jvm.heapMiB).toBe(1792);
    expect(() => resolveEnsemble({ namespace: 'zk', memoryLimitMiB: 2048, heapMiB: 1793 })).toThrow(/heapMiB: .*at least 256 MiB is needed/);
  });

  test('a heap larger than the memory limit is rejected at synth time', () => {
    expect(() => resolveEnsemble({ namespace: 'zk', memoryLimitMiB: 1024, heapMiB: 2048 })).toThrow(/heapMiB: a heap of 2048 MiB does not fit the 1024 MiB memory limit/);
  });

  test('reaches the server through the environment, with G1 and exit-on-OOM in the options file', () => {
    const synth = synthEnsemble({ memoryLimitMiB: 4096, heapPercent: 60 });
    const env = Object.fromEntries(synth.mainContainer.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.ZK_HEAP_MIB).toBe('2457');
    expect(synth.mainContainer.resources.limits.memory).toBe('4096Mi');
    expect(env.ZK_MEMORY_LIMIT_MIB).toEqual({ resourceFieldRef: { containerName: 'zookeeper', resource: 'limits.memory', divisor: '1Mi' } });
    const options = synth.file('zookeeper-config', 'jvm.options').trim().split('\n');
    expect(options).toEqual(expect.arrayContaining(['-XX:+UseG1GC', '-XX:+ExitOnOutOfMemoryError']));
    expect(options.filter((o) => /^-Xm[sx]/.test(o))).toEqual([]);
  });
});

describe('leader election back-off', () => {
  const cap = (props = {}) => synthEnsemble(props).file('zookeeper-config', 'jvm.options').trim().split('\n')
    .filter((o) => o.startsWith('-Dzookeeper.fastleader.maxNotificationInterval='));

  test('a member that finds no leader asks its peers again at least every 2 s, not ZooKeeper\'s 60 s', () => {
    expect(cap()).toEqual(['-Dzookeeper.fastleader.maxNotificationInterval=2000']);
  });

  test('maxNotificationIntervalMs sets the cap', () => {
    expect(cap({ maxNotificationIntervalMs: 60000 })).toEqual(['-Dzookeeper.fastleader.maxNotificationInterval=60000']);
  });
});

describe('zoo.cfg', () => {
  const cfg = (props = {}) => parseZooCfg(synthEnsemble(props).file('zookeeper-config', 'zoo.cfg'));

  test('uses the documented defaults', () => {
    expect(Object.fromEntries(cfg())).toMatchObject({
      'tickTime': '2000', 'initLimit': '10', 'syncLimit': '2', 'maxClientCnxns': '300',
      'minSessionTimeout': '4000', 'maxSessionTimeout': '180000', 'globalOutstandingLimit': '1000',
      'snapCount': '100000', 'preAllocSize': '65536', 'snapSizeLimitInKb': '4194304',
      'autopurge.snapRetainCount': '30', 'autopurge.purgeInterval': '24', 'clientPort': '2181',
    });
  });

  test('carries the settings Kubernetes needs', () => {
    expect(Object.fromEntries(cfg())).toMatchObject({
      'quorumListenOnAllIPs': 'true',
      'electionPortBindRetry': '0',
      'reconfigEnabled': 'false',
      'admin.serverAddress': '127.0.0.1',
      '4lw.commands.whitelist': 'ruok,srvr',
      'metricsProvider.className': 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
      'metricsProvider.httpPort': '7000',
    });
  });

  test('every setting reaches its zoo.cfg key', () => {
    const entries = Object.fromEntries(cfg({
      tickTime: 3000, initLimit: 20, syncLimit: 7, maxClientCnxns: 0, minSessionTimeout: 6000, maxSessionTimeout: 60000,
      globalOutstandingLimit: 5000, snapCount: 50000, preAllocSizeKb: 131072, snapSizeLimitInKb: 1048576,
      autopurgeSnapRetainCount: 5, autopurgePurgeInterval: 1, clientPort: 12181, metricsPort: 17000, adminPort: 18080,
    }));
    expect(entries).toMatchObject({
      'tickTime': '3000', 'initLimit': '20', 'syncLimit': '7', 'maxClientCnxns': '0', 'minSessionTimeout': '6000',
      'maxSessionTimeout': '60000', 'globalOutstandingLimit': '5000', 'snapCount': '50000', 'preAllocSize': '131072',
      'snapSizeLimitInKb': '1048576', 'autopurge.snapRetainCount': '5', 'autopurge.purgeInterval': '1',
      'clientPort': '12181', 'metricsProvider.httpPort': '17000', 'admin.serverPort': '18080',
    });
  });

  test('a cut-off member stops serving within syncLimit x tickTime = 4 s by default', () => {
    const entries = cfg();
    expect(Number(entries.get('syncLimit')) * Number(entries.get('tickTime'))).toBe(4000);
  });

  test('minSessionTimeout follows tickTime unless set', () => {
    expect(cfg({ tickTime: 3000 }).get('minSessionTimeout')).toBe('6000');
  });

  test('puts the transaction log on its own volume only when one is configured', () => {
    expect(cfg().has('dataLogDir')).toBe(false);
    expect(cfg({ txnLogStorageGiB: 5 }).get('dataLogDir')).toBe('/var/lib/zookeeper-txnlog/log');
  });

  test('appends additionalConfig entries after the managed ones, sorted', () => {
    const lines = synthEnsemble({ additionalConfig: { 'zookeeper.commitLogCount': '1000', 'fsync.warningthresholdms': '500' } })
      .file('zookeeper-config', 'zoo.cfg').trim().split('\n');
    expect(lines.slice(-2)).toEqual(['fsync.warningthresholdms=500', 'zookeeper.commitLogCount=1000']);
  });

  test('an image without the native provider gets the exporter on the metrics port instead, with mntr allowed', () => {
    const debianLike = ImageProfile.custom({ ...ImageProfile.upmio().props, nativePrometheusMetrics: false, pythonPath: '/usr/bin/python3' });
    const synth = synthEnsemble({ image: debianLike });
    const zooCfg = parseZooCfg(synth.file('zookeeper-config', 'zoo.cfg'));
    // ZooKeeper would fail to start with a provider class it does not have.
    expect([...zooCfg.keys()].filter((k) => k.startsWith('metricsProvider'))).toEqual([]);
    expect(zooCfg.get('4lw.commands.whitelist')).toBe('ruok,srvr,mntr');
    const metrics = synth.mainContainer.ports.find((p: any) => p.name === 'metrics');
    expect(metrics.containerPort).toBe(synth.ensemble.model.ports.metrics.port);
    const exporter = parseIni(synth.file('zookeeper-supervisord', 'supervisord.conf'))['program:exporter'];
    expect(exporter.command).toBe(`/usr/bin/python3 /scripts/zookeeper-exporter.py --listen-port ${metrics.containerPort} --zookeeper 127.0.0.1:2181 --perf-data-dir /tmp`);
    expect(Object.keys(synth.one('ConfigMap', 'zookeeper-scripts').data)).toContain('zookeeper-exporter.py');
  });

  test('an image with the native provider gets neither the exporter nor mntr', () => {
    const synth = synthEnsemble();
    expect(parseZooCfg(synth.file('zookeeper-config', 'zoo.cfg')).get('4lw.commands.whitelist')).toBe('ruok,srvr');
    expect(parseIni(synth.file('zookeeper-supervisord', 'supervisord.conf'))).not.toHaveProperty(['program:exporter']);
    expect(Object.keys(synth.one('ConfigMap', 'zookeeper-scripts').data)).not.toContain('zookeeper-exporter.py');
  });

  test('every key the construct writes is protected from additionalConfig', () => {
    // A separate transaction log, the native metrics provider and observers switch on every optional key.
    const model = resolveEnsemble({ namespace: 'zk', txnLogStorageGiB: 1, mode: DeploymentMode.CLUSTER, observers: 1 });
    const keys = model.memberGroups.flatMap((g) => g.zooCfg.map(([k]) => k)).filter((k) => !k.startsWith('server.'));
    expect(keys).toEqual(expect.arrayContaining(['dataLogDir', 'metricsProvider.httpPort', 'peerType']));
    expect(keys.filter((k) => !(k in ZOO_CFG_KEY_OWNERS))).toEqual([]);
  });
});

describe('names', () => {
  test('every object name is derived from the ensemble name', () => {
    const synth = synthEnsemble({ name: 'coord' });
    // The roll Job's name ends with a hash (test/roll.test.ts).
    expect(synth.objects.map((o) => `${o.kind}/${o.metadata.name}`.replace(/^(Job\/coord-roll-)[0-9a-f]{10}$/, '$1<hash>')).sort()).toEqual([
      'ConfigMap/coord-config', 'ConfigMap/coord-dashboard', 'ConfigMap/coord-logging', 'ConfigMap/coord-post-deploy-check', 'ConfigMap/coord-roll', 'ConfigMap/coord-scripts',
      'ConfigMap/coord-supervisord', 'Job/coord-post-deploy-check', 'Job/coord-roll-<hash>',
      'NetworkPolicy/coord', 'PodDisruptionBudget/coord', 'PrometheusRule/coord', 'Role/coord-roll', 'RoleBinding/coord-roll',
      'Service/coord', 'Service/coord-headless', 'Service/coord-metrics', 'ServiceAccount/coord', 'ServiceAccount/coord-roll', 'ServiceMonitor/coord', 'StatefulSet/coord',
    ]);
    expect(synth.objects.every((o) => o.metadata.namespace === 'zk')).toBe(true);
  });

  test('the namespace comes from the chart unless set on the ensemble', () => {
    expect(synthEnsemble().ensemble.model.namespace).toBe('zk');
    expect(synthEnsemble({ namespace: 'other' }).objects.every((o) => o.metadata.namespace === 'other')).toBe(true);
  });
});
