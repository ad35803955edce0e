import * as fs from 'fs';
import * as path from 'path';
import { AntiAffinity, CONFIG_CHECKSUM_ANNOTATION, ZoneSpread } from '../lib';
import { parseIni } from './support/ini';
import { parseZooCfg, Synthesized, synthEnsemble } from './support/synth';

/** The volume a path lives on in a container, by longest mount-path prefix. */
function volumeFor(synth: Synthesized, container: any, file: string): { mount: any; volume: any } | undefined {
  const mount = [...container.volumeMounts]
    .sort((a: any, b: any) => b.mountPath.length - a.mountPath.length)
    .find((m: any) => file === m.mountPath || file.startsWith(`${m.mountPath}/`));
  if (!mount) return undefined;
  const volume = synth.podSpec.volumes?.find((v: any) => v.name === mount.name)
    ?? synth.statefulSet.spec.volumeClaimTemplates.find((t: any) => t.metadata.name === mount.name);
  return { mount, volume };
}

/** Whether `file` exists in the container: a key of a mounted ConfigMap. */
function configFileExists(synth: Synthesized, container: any, file: string): boolean {
  const found = volumeFor(synth, container, file);
  if (!found?.volume?.configMap) return false;
  return path.basename(file) in (synth.one('ConfigMap', found.volume.configMap.name).data ?? {});
}

/** Whether the container can write at `dir`: a writable mount of an emptyDir or a claim. */
function writable(synth: Synthesized, container: any, dir: string): boolean {
  const found = volumeFor(synth, container, dir);
  return !!found && !found.mount.readOnly && !found.volume?.configMap;
}

describe('the member pod', () => {
  const synth = synthEnsemble({ txnLogStorageGiB: 5 });
  const supervisord = parseIni(synth.file('zookeeper-supervisord', 'supervisord.conf'));
  const zooCfg = parseZooCfg(synth.file('zookeeper-config', 'zoo.cfg'));
  const env = Object.fromEntries(synth.mainContainer.env.map((e: any) => [e.name, e.value]));

  test('runs supervisord as PID 1 with the generated, mounted supervisord.conf in the foreground', () => {
    const [binary, flag, conf] = synth.mainContainer.command;
    expect([binary, flag]).toEqual(['/usr/bin/supervisord', '-c']);
    expect(configFileExists(synth, synth.mainContainer, conf)).toBe(true);
    expect(supervisord.supervisord.nodaemon).toBe('true');
    expect(synth.mainContainer.args).toBeUndefined();
  });

  test('every file a command, probe or config refers to is in a mounted ConfigMap', () => {
    const scriptPaths = [
      ...Object.values(supervisord).map((section) => section.command?.split(' ')[1]).filter(Boolean),
      synth.initContainer.command[1],
      ...['startupProbe', 'livenessProbe', 'readinessProbe'].map((p) => synth.mainContainer[p].exec.command[1]),
    ];
    for (const file of scriptPaths) {
      const container = file === synth.initContainer.command[1] ? synth.initContainer : synth.mainContainer;
      expect({ file, exists: configFileExists(synth, container, file) }).toEqual({ file, exists: true });
    }
    const loggingConfig = /-Dlogback\.configurationFile=(\S+)/.exec(synth.file('zookeeper-config', 'jvm.options'))![1];
    for (const file of [env.ZK_JVM_OPTIONS, env.ZK_ZOO_CFG, loggingConfig]) {
      expect({ file, exists: configFileExists(synth, synth.mainContainer, file) }).toEqual({ file, exists: true });
    }
  });

  test('every place the processes write to is a writable volume, so a read-only root filesystem works', () => {
    const tmpdir = /-Djava\.io\.tmpdir=(\S+)/.exec(synth.file('zookeeper-config', 'jvm.options'))![1];
    const writes = [
      zooCfg.get('dataDir')!, zooCfg.get('dataLogDir')!, tmpdir,
      path.dirname(supervisord.supervisord.pidfile), path.dirname(supervisord.unix_http_server.file), supervisord.supervisord.childlogdir,
    ];
    expect(synth.mainContainer.securityContext.readOnlyRootFilesystem).toBe(true);
    for (const dir of writes) expect({ dir, writable: writable(synth, synth.mainContainer, dir) }).toEqual({ dir, writable: true });
    const initEnv = Object.fromEntries(synth.initContainer.env.map((e: any) => [e.name, e.value]));
    expect([initEnv.ZK_DATA_DIR, initEnv.ZK_TXNLOG_DIR]).toEqual([zooCfg.get('dataDir'), zooCfg.get('dataLogDir')]);
    for (const dir of [initEnv.ZK_DATA_DIR, initEnv.ZK_TXNLOG_DIR]) expect(writable(synth, synth.initContainer, dir)).toBe(true);
  });

  test('data and transaction log live on the claim templates, which outlive the pod', () => {
    const templates = synth.statefulSet.spec.volumeClaimTemplates;
    expect(volumeFor(synth, synth.mainContainer, zooCfg.get('dataDir')!)!.volume).toBe(templates[0]);
    expect(volumeFor(synth, synth.mainContainer, zooCfg.get('dataLogDir')!)!.volume).toBe(templates[1]);
    expect(templates.map((t: any) => [t.metadata.name, t.spec.volumeMode, t.spec.resources.requests.storage]))
      .toEqual([['data', 'Filesystem', '20Gi'], ['txnlog', 'Filesystem', '5Gi']]);
  });

  test('the grace period outlasts supervisord\'s stop timeout', () => {
    expect(synth.podSpec.terminationGracePeriodSeconds).toBeGreaterThan(Number(supervisord['program:zookeeper'].stopwaitsecs));
  });

  test('supervisord is controllable only through a private unix socket', () => {
    expect(supervisord).not.toHaveProperty('inet_http_server');
    expect(supervisord.unix_http_server.chmod).toBe('0700');
    expect(supervisord.supervisorctl.serverurl).toBe(`unix://${supervisord.unix_http_server.file}`);
  });

  test('init container derives myid from the pod name and prepares the data volumes', () => {
    const initEnv = synth.initContainer.env;
    expect(initEnv).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(initEnv).toContainEqual({ name: 'ZK_FIRST_MYID', value: '1' });
    expect(synth.initContainer.image).toBe(synth.mainContainer.image);
  });
});

describe('probes', () => {
  const synth = synthEnsemble();
  const c = synth.mainContainer;
  const mode = (probe: string) => c[probe].exec.command.slice(-1)[0];

  test('startup and liveness only ask whether the local server answers; readiness asks whether it serves in a quorum', () => {
    expect([mode('startupProbe'), mode('livenessProbe'), mode('readinessProbe')]).toEqual(['live', 'live', 'ready']);
  });

  test('the server answers every four-letter word the probe script sends, and no others', () => {
    const script = fs.readFileSync(path.join(__dirname, '..', 'lib', 'scripts', 'probe.sh'), 'utf8');
    const sent = [...script.matchAll(/four_letter_word (\w{4})\)/g)].map((m) => m[1]).sort();
    const whitelist = parseZooCfg(synth.file('zookeeper-config', 'zoo.cfg')).get('4lw.commands.whitelist')!.split(',').sort();
    expect(sent).toEqual(['ruok', 'srvr']);
    expect(whitelist).toEqual(sent);
  });

  test('probes reach the client port the server listens on', () => {
    const port = parseZooCfg(synth.file('zookeeper-config', 'zoo.cfg')).get('clientPort');
    expect(c.env).toContainEqual({ name: 'ZK_CLIENT_PORT', value: port });
  });

  test('a slow first start (large snapshot) gets five minutes before liveness can restart it', () => {
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(300);
  });

  test('readiness tolerates one missed answer', () => {
    expect(c.readinessProbe.failureThreshold).toBeGreaterThanOrEqual(2);
  });

  test('a member that stops serving is NotReady at most 4 s later (kubelet: failureThreshold misses, periodSeconds apart)', () => {
    expect(c.readinessProbe.periodSeconds * c.readinessProbe.failureThreshold).toBeLessThanOrEqual(4);
  });
});

describe('security context', () => {
  const synth = synthEnsemble();
  const containers = [synth.mainContainer, synth.initContainer];

  test('the pod runs as the image\'s numeric non-root user with fsGroup and the runtime\'s seccomp profile', () => {
    expect(synth.podSpec.securityContext).toEqual({
      runAsUser: 1001, runAsGroup: 1001, runAsNonRoot: true, fsGroup: 1001,
      fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test.each(['zookeeper', 'init-data'])('container %s cannot escalate, holds no capability and has a read-only root', (name) => {
    const sc = containers.find((c) => c.name === name).securityContext;
    expect(sc).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(sc.capabilities.add).toBeUndefined();
    expect(sc.privileged).toBeUndefined();
  });

  test('no service account token, no service links, no host namespaces or host paths', () => {
    expect(synth.podSpec).toMatchObject({ automountServiceAccountToken: false, enableServiceLinks: false });
    expect(synth.one('ServiceAccount', 'zookeeper').automountServiceAccountToken).toBe(false);
    expect(synth.podSpec.hostNetwork ?? synth.podSpec.hostPID ?? synth.podSpec.hostIPC).toBeUndefined();
    expect(synth.podSpec.volumes.filter((v: any) => !v.configMap && !v.emptyDir)).toEqual([]);
    expect(containers.flatMap((c) => c.ports ?? []).filter((p: any) => p.hostPort)).toEqual([]);
  });
});

describe('labels and selectors', () => {
  const synth = synthEnsemble({ labels: { team: 'platform' }, annotations: { owner: 'sre' }, podAnnotations: { 'example.com/scrape': 'yes' } });
  const selector = synth.statefulSet.spec.selector.matchLabels;

  test('select on the stable app.kubernetes.io labels, never on a hashed cdk8s label', () => {
    expect(selector).toEqual({ 'app.kubernetes.io/name': 'zookeeper', 'app.kubernetes.io/instance': 'zookeeper', 'app.kubernetes.io/component': 'server' });
    expect(JSON.stringify(synth.objects)).not.toContain('cdk8s.io/metadata.addr');
  });

  test('the pods carry every label that Services, the budget, anti-affinity and zone spread select on', () => {
    const podLabels = synth.statefulSet.spec.template.metadata.labels;
    const selectors = [
      synth.one('Service', 'zookeeper').spec.selector,
      synth.one('Service', 'zookeeper-headless').spec.selector,
      synth.one('PodDisruptionBudget').spec.selector.matchLabels,
      synth.podSpec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels,
      synth.podSpec.topologySpreadConstraints[0].labelSelector.matchLabels,
    ];
    for (const s of selectors) {
      expect(s).toEqual(selector);
      expect(podLabels).toMatchObject(s);
    }
  });

  test('user labels and annotations reach objects and pods but never selectors', () => {
    expect(synth.objects.every((o) => o.metadata.labels.team === 'platform' && o.metadata.annotations.owner === 'sre')).toBe(true);
    expect(synth.statefulSet.spec.template.metadata.labels.team).toBe('platform');
    expect(synth.statefulSet.spec.template.metadata.annotations['example.com/scrape']).toBe('yes');
    expect(selector).not.toHaveProperty('team');
  });

  test('claim templates carry only selector labels, so upgrades never touch these immutable fields', () => {
    for (const t of synth.statefulSet.spec.volumeClaimTemplates) expect(t.metadata.labels).toEqual(selector);
  });
});

describe('services', () => {
  const synth = synthEnsemble();
  const containerPorts = new Map(synth.mainContainer.ports.map((p: any) => [p.name, p.containerPort]));

  test('the peer Service is headless and publishes members before they are Ready', () => {
    const peer = synth.one('Service', 'zookeeper-headless');
    expect(peer.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(peer.spec.ports.map((p: any) => [p.port, containerPorts.get(p.targetPort)])).toEqual([[2181, 2181], [2888, 2888], [3888, 3888]]);
    expect(synth.statefulSet.spec.serviceName).toBe('zookeeper-headless');
  });

  test('the client Service only routes to Ready members, on the client port', () => {
    const client = synth.one('Service', 'zookeeper');
    expect(client.spec.publishNotReadyAddresses).toBeUndefined();
    expect(client.spec.clusterIP).toBeUndefined();
    expect(client.spec.ports.map((p: any) => [p.port, containerPorts.get(p.targetPort)])).toEqual([[2181, 2181]]);
  });

  test('the metrics port is declared on the container; the AdminServer port is not', () => {
    expect(containerPorts.get('metrics')).toBe(7000);
    expect([...containerPorts.values()]).not.toContain(8080);
  });
});

describe('the StatefulSet', () => {
  test('starts members in parallel and leaves replacing them to the roll Job (test/roll.test.ts)', () => {
    const sts = synthEnsemble().statefulSet;
    expect(sts.spec).toMatchObject({ podManagementPolicy: 'Parallel', updateStrategy: { type: 'OnDelete' }, replicas: 3 });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('storage class and size follow the settings', () => {
    const [data] = synthEnsemble({ dataStorageGiB: 50, storageClassName: 'fast-ssd' }).statefulSet.spec.volumeClaimTemplates;
    expect(data.spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '50Gi' } }, accessModes: ['ReadWriteOnce'] });
  });
});

describe('the PodDisruptionBudget', () => {
  test.each([[1, 1], [3, 2], [5, 3], [7, 4]])('with %i members keeps at least %i available, so no eviction breaks the quorum', (replicas, minAvailable) => {
    const pdb = synthEnsemble({ replicas }).one('PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(minAvailable);
    expect(minAvailable).toBeGreaterThan(replicas / 2);
  });

  test('can be left out', () => {
    expect(synthEnsemble({ podDisruptionBudget: false }).all('PodDisruptionBudget')).toEqual([]);
  });
});

describe('scheduling', () => {
  test('members avoid sharing a node (required by default) and spread across zones', () => {
    const spec = synthEnsemble().podSpec;
    expect(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(spec.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' });
  });

  test('node selector, tolerations, priority class, pull secrets and the softer policies are applied', () => {
    const spec = synthEnsemble({
      antiAffinity: AntiAffinity.PREFERRED, zoneSpread: ZoneSpread.DO_NOT_SCHEDULE, nodeSelector: { pool: 'zk' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'zk', effect: 'NoSchedule' }],
      priorityClassName: 'critical', imagePullSecrets: ['registry'], cpuLimitMillicores: 2000,
    }).podSpec;
    expect(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]).toMatchObject({ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } });
    expect(spec.topologySpreadConstraints[0].whenUnsatisfiable).toBe('DoNotSchedule');
    expect(spec).toMatchObject({ nodeSelector: { pool: 'zk' }, priorityClassName: 'critical', imagePullSecrets: [{ name: 'registry' }] });
    expect(spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'zk', effect: 'NoSchedule' }]);
    expect(spec.containers[0].resources.limits.cpu).toBe('2000m');
  });

  test('no CPU limit by default: throttling would stall heartbeats', () => {
    expect(synthEnsemble().mainContainer.resources.limits.cpu).toBeUndefined();
  });
});

describe('the configuration checksum', () => {
  const checksum = (props = {}) => synthEnsemble(props).statefulSet.spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];

  test('changes with any configuration file, so a config change rolls the pods', () => {
    const base = checksum();
    expect(base).toMatch(/^[0-9a-f]{32}$/);
    expect(checksum({ tickTime: 3000 })).not.toBe(base);
    expect(checksum({ replicas: 5 })).not.toBe(base);
    expect(checksum({ logLevel: 'WARN' as any })).not.toBe(base);
    expect(checksum({ jvmOptions: ['-Djute.maxbuffer=4194304'] })).not.toBe(base);
  });

  test('stays the same when no configuration file changes', () => {
    expect(checksum({ cpuRequestMillicores: 1000, dataStorageGiB: 100 })).toBe(checksum());
  });
});
