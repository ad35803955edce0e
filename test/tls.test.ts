/**
 * TLS for the quorum and for clients: what zoo.cfg says for each combination, that every path and
 * port it names is what the pod mounts and exposes, that the Certificate names every name a member
 * is dialled or reverse-resolved by, and that no secret material reaches a ConfigMap.
 */
import { ClientTls, DeploymentMode, IssuerKind, QuorumTlsStep, ZooKeeperChartProps } from '../lib';
import { renderSupervisordConf } from '../lib/render/supervisord-conf';
import { resolveEnsemble } from '../lib/model/resolve';
import { certManagerCrds, publishedCertificateProblems, registerCertManagerSchemas } from './support/cert-manager-schemas';
import { parseIni } from './support/ini';
import { validateObject, validateObjects } from './support/k8s-schema';
import { selects } from './support/k8s-schema/rules';
import { registerMonitoringSchemas } from './support/monitoring-schemas';
import { KubeObject, parseZooCfg, synthChart, Synthesized } from './support/synth';

registerCertManagerSchemas();
registerMonitoringSchemas();

const ISSUER = { name: 'internal-ca', kind: IssuerKind.CLUSTER_ISSUER };
const tlsChart = (props: ZooKeeperChartProps) => synthChart({ namespace: 'zk', ...props });
const zooCfg = (out: Synthesized, file = 'zoo.cfg') => parseZooCfg(out.file('zookeeper-config', file));
const TLS_KEY = /^(ssl|sslQuorum|secureClient|serverCnxnFactory|client\.certReload|clientPortAddress)/;

/** Where a path inside the main container comes from: the volume mounted at its directory. */
function mountOf(out: Synthesized, file: string): { mount: any; volume: any; name: string } {
  const mount = out.mainContainer.volumeMounts.find((m: any) => file.startsWith(`${m.mountPath}/`));
  if (!mount) throw new Error(`${file} is on no volume of the main container`);
  expect(mount.subPath).toBeUndefined();
  return { mount, volume: out.podSpec.volumes.find((v: any) => v.name === mount.name), name: file.slice(mount.mountPath.length + 1) };
}

/** RFC 6125 matching as TLS clients do it: exact, or a wildcard standing for the leftmost label. */
function covered(sans: readonly string[], name: string): boolean {
  return sans.some((san) => san === name || (san.startsWith('*.') && name.slice(name.indexOf('.')) === san.slice(1) && !name.slice(0, name.indexOf('.')).includes('.')));
}

/**
 * The names the cluster DNS gives a member's address: one per headless Service selecting the pod,
 * `<hostname>.<service>...` where the pod's subdomain is that Service, `<dashed address>...` otherwise.
 */
function reverseNames(out: Synthesized, sts: KubeObject, ordinal: number, address = '10.1.2.3'): string[] {
  const labels = sts.spec.template.metadata.labels;
  return out.all('Service').filter((svc) => svc.spec.clusterIP === 'None' && selects({ matchLabels: svc.spec.selector }, labels))
    .map((svc) => {
      const host = sts.spec.serviceName === svc.metadata.name ? `${sts.metadata.name}-${ordinal}` : address.replace(/\./g, '-');
      return `${host}.${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`;
    });
}

describe('TLS off (the default)', () => {
  test('writes no TLS entry, mounts no Secret, creates no Certificate and ships no sync program', () => {
    const out = tlsChart({});
    expect([...zooCfg(out).keys()].filter((k) => TLS_KEY.test(k))).toEqual([]);
    expect(out.podSpec.volumes.filter((v: any) => v.secret)).toEqual([]);
    expect(out.all('Certificate')).toEqual([]);
    expect(Object.keys(out.one('ConfigMap', 'zookeeper-scripts').data)).not.toContain('sync-tls-stores.sh');
    expect(parseIni(out.file('zookeeper-supervisord', 'supervisord.conf'))).not.toHaveProperty(['program:tls-sync']);
  });
});

describe('zoo.cfg for each combination', () => {
  const CASES: [string, ZooKeeperChartProps, { quorum: boolean; client: boolean; loopbackPlaintext: boolean }][] = [
    ['quorum TLS only', { quorumTls: true }, { quorum: true, client: false, loopbackPlaintext: false }],
    ['client TLS beside plaintext', { clientTls: ClientTls.ON }, { quorum: false, client: true, loopbackPlaintext: false }],
    ['TLS-only clients', { clientTls: ClientTls.ONLY }, { quorum: false, client: true, loopbackPlaintext: true }],
    ['both, clients TLS-only', { quorumTls: true, clientTls: ClientTls.ONLY }, { quorum: true, client: true, loopbackPlaintext: true }],
  ];

  test.each(CASES)('%s: the stores of each side, passwords from a file, hostname verification and reload on', (_name, props, want) => {
    const cfg = zooCfg(tlsChart({ tlsIssuer: ISSUER, ...props }));
    expect(cfg.get('sslQuorum') === 'true').toBe(want.quorum);
    expect(cfg.get('sslQuorumReloadCertFiles') === 'true').toBe(want.quorum);
    expect(cfg.has('secureClientPort')).toBe(want.client);
    expect(cfg.get('serverCnxnFactory') === 'org.apache.zookeeper.server.NettyServerCnxnFactory').toBe(want.client);
    expect(cfg.get('client.certReload') === 'true').toBe(want.client);
    expect(cfg.get('clientPortAddress')).toBe(want.loopbackPlaintext ? '127.0.0.1' : undefined);
    for (const [prefix, on] of [['ssl.quorum.', want.quorum], ['ssl.', want.client]] as const) {
      const keys = ['keyStore.location', 'keyStore.type', 'keyStore.passwordPath', 'trustStore.location', 'trustStore.type', 'trustStore.passwordPath', 'hostnameVerification'];
      expect(keys.map((k) => cfg.has(`${prefix}${k}`))).toEqual(keys.map(() => on));
      if (!on) continue;
      expect(cfg.get(`${prefix}keyStore.type`)).toBe('PKCS12');
      expect(cfg.get(`${prefix}hostnameVerification`)).toBe('true');
    }
    // A password is never written, only where to read it.
    expect([...cfg.keys()].filter((k) => /password$/i.test(k))).toEqual([]);
  });

  test('observers get the same TLS entries as the voters', () => {
    const out = tlsChart({ mode: DeploymentMode.CLUSTER, observers: 2, quorumTls: true, clientTls: ClientTls.ON, tlsIssuer: ISSUER });
    const tlsEntries = (cfg: Map<string, string>) => [...cfg].filter(([k]) => TLS_KEY.test(k));
    expect(tlsEntries(zooCfg(out, 'zoo-observer.cfg'))).toEqual(tlsEntries(zooCfg(out)));
    expect(tlsEntries(zooCfg(out)).length).toBeGreaterThan(10);
  });
});

describe('quorum TLS turned on or off in steps, one rolling update each', () => {
  const quorumEntries = (quorumTls: boolean | QuorumTlsStep) => {
    const cfg = zooCfg(tlsChart({ tlsIssuer: ISSUER, quorumTls }));
    return { cfg, sslQuorum: cfg.get('sslQuorum'), portUnification: cfg.get('portUnification') };
  };

  test.each([
    // Neighbouring steps understand each other: every member accepts whatever its neighbours dial.
    ['accept', QuorumTlsStep.ACCEPT, 'false', 'true'],
    ['prefer', QuorumTlsStep.PREFER, 'true', 'true'],
    ['true', true, 'true', undefined],
  ] as const)('%s: sslQuorum %s, portUnification %s, the quorum stores in place', (_name, quorumTls, sslQuorum, portUnification) => {
    const entries = quorumEntries(quorumTls);
    expect(entries.sslQuorum).toBe(sslQuorum);
    expect(entries.portUnification).toBe(portUnification);
    expect(entries.cfg.get('ssl.quorum.keyStore.location')).toBe('/run/tls/keystore.p12');
    expect(entries.cfg.get('ssl.quorum.hostnameVerification')).toBe('true');
    expect(entries.cfg.get('sslQuorumReloadCertFiles')).toBe('true');
  });

  test('a step mounts the certificate and runs the store sync, as TLS does', () => {
    const out = tlsChart({ tlsIssuer: ISSUER, quorumTls: QuorumTlsStep.ACCEPT });
    expect(out.all('Certificate')).toHaveLength(1);
    expect(out.podSpec.volumes.filter((v: any) => v.secret).map((v: any) => v.secret.secretName)).toContain('zookeeper-tls');
    expect(parseIni(out.file('zookeeper-supervisord', 'supervisord.conf'))).toHaveProperty(['program:tls-sync']);
  });

  test('false writes no quorum TLS entry, even with client TLS on', () => {
    const cfg = zooCfg(tlsChart({ tlsIssuer: ISSUER, quorumTls: false, clientTls: ClientTls.ON }));
    expect([...cfg.keys()].filter((k) => /^(sslQuorum|portUnification|ssl\.quorum\.)/.test(k))).toEqual([]);
  });
});

describe('what zoo.cfg names is what the pod mounts', () => {
  const out = tlsChart({ quorumTls: true, clientTls: ClientTls.ON, tlsIssuer: ISSUER });
  const cfg = zooCfg(out);
  const env = (name: string) => out.mainContainer.env.find((e: any) => e.name === name)?.value;

  test('every store is a copy in the in-memory directory the sync program writes, taken from a key of the TLS Secret', () => {
    const secret = out.podSpec.volumes.find((v: any) => v.secret?.secretName === out.one('Certificate').spec.secretName);
    const sourceMount = out.mainContainer.volumeMounts.find((m: any) => m.name === secret.name);
    expect(sourceMount).toMatchObject({ readOnly: true });
    expect(env('ZK_TLS_SOURCE_DIR')).toBe(sourceMount.mountPath);
    const locations = [...cfg].filter(([k]) => k.endsWith('Store.location')).map(([, v]) => v);
    expect(locations).toHaveLength(4);
    for (const location of locations) {
      const { mount, volume, name } = mountOf(out, location);
      expect(volume.emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Mi' });
      expect(mount.readOnly).toBeUndefined();
      expect(env('ZK_TLS_DIR')).toBe(mount.mountPath);
      expect(secret.secret.items).toContainEqual({ key: name, path: name });
    }
  });

  test('every passwordPath is the password key of the password Secret, mounted read-only and readable by the group only', () => {
    const paths = [...cfg].filter(([k]) => k.endsWith('passwordPath')).map(([, v]) => v);
    expect(paths).toHaveLength(4);
    const passwordRef = out.one('Certificate').spec.keystores.pkcs12.passwordSecretRef;
    for (const file of paths) {
      const { mount, volume, name } = mountOf(out, file);
      expect(mount.readOnly).toBe(true);
      expect(volume.secret).toEqual({ secretName: passwordRef.name, defaultMode: 0o440, items: [{ key: passwordRef.key, path: name }] });
    }
  });

  test('the pod runs the sync program, starts ZooKeeper through the sync script, and ships the script', () => {
    const conf = parseIni(out.file('zookeeper-supervisord', 'supervisord.conf'));
    const [, script, mode] = conf['program:tls-sync'].command.split(' ');
    expect(mode).toBe('watch');
    expect(conf['program:zookeeper'].command.split(' ')).toEqual(['/bin/bash', script, 'exec', '/bin/bash', expect.stringMatching(/\/start-zookeeper\.sh$/)]);
    const scripts = out.podSpec.volumes.find((v: any) => v.configMap?.name === 'zookeeper-scripts');
    const scriptsMount = out.mainContainer.volumeMounts.find((m: any) => m.name === scripts.name);
    expect(out.one('ConfigMap', 'zookeeper-scripts').data).toHaveProperty([script.slice(scriptsMount.mountPath.length + 1)]);
  });
});

describe('ports come from one place', () => {
  const portsOf = (out: Synthesized) => {
    const cfg = zooCfg(out);
    const container = out.mainContainer.ports as { name: string; containerPort: number }[];
    const viaService = (name: string) => out.one('Service', name).spec.ports
      .map((p: any) => container.find((c) => c.name === p.targetPort)?.containerPort);
    return { cfg, container: container.map((p) => p.containerPort), client: viaService('zookeeper'), peer: viaService('zookeeper-headless') };
  };

  test('TLS-only clients: Services and container offer the TLS port only; the probes use the plaintext port on loopback', () => {
    const out = tlsChart({ clientTls: ClientTls.ONLY, tlsSecretName: 'zk-certs', secureClientPort: 12281 });
    const { cfg, container, client, peer } = portsOf(out);
    expect(cfg.get('secureClientPort')).toBe('12281');
    expect(client).toEqual([12281]);
    expect(peer).toContain(12281);
    const plaintext = Number(cfg.get('clientPort'));
    expect([...container, ...client, ...peer]).not.toContain(plaintext);
    expect(cfg.get('clientPortAddress')).toBe('127.0.0.1');
    expect(out.mainContainer.env).toContainEqual({ name: 'ZK_CLIENT_PORT', value: String(plaintext) });
  });

  test('client TLS beside plaintext: both ports, each Service port leading to the container port zoo.cfg binds', () => {
    const { cfg, container, client } = portsOf(tlsChart({ clientTls: ClientTls.ON, tlsSecretName: 'zk-certs' }));
    expect(client).toEqual([Number(cfg.get('clientPort')), Number(cfg.get('secureClientPort'))]);
    expect(container).toEqual(expect.arrayContaining(client));
  });
});

describe('the Certificate', () => {
  const cluster = () => tlsChart({ mode: DeploymentMode.CLUSTER, replicas: 5, observers: 2, quorumTls: true, clientTls: ClientTls.ONLY, tlsIssuer: ISSUER });

  test('is valid against the project CRD, strictly, and against cert-manager\'s published schema', () => {
    for (const issuer of [ISSUER, { name: 'ns-ca' }]) {
      const certificate = tlsChart({ quorumTls: true, tlsIssuer: issuer }).one('Certificate');
      expect(validateObject(certificate)).toEqual([]);
      expect(publishedCertificateProblems(certificate)).toBeUndefined();
    }
    expect(validateObjects(cluster().objects)).toEqual([]);
  });

  test('the validators are not vacuous: a misspelt field and a missing Secret name are caught', () => {
    const certificate = tlsChart({ quorumTls: true, tlsIssuer: ISSUER }).one('Certificate');
    const misspelt = structuredClone(certificate);
    misspelt.spec.dnsName = misspelt.spec.dnsNames;
    expect(validateObject(misspelt)).toEqual([expect.stringMatching(/spec\.dnsName: unknown field .*did you mean "dnsNames"/)]);
    const unnamed = structuredClone(certificate);
    delete unnamed.spec.secretName;
    expect(publishedCertificateProblems(unnamed)).toMatch(/must have required property secretName/);
  });

  test('imports/cert-manager.io.crds.yaml is a CustomResourceDefinition the API server would accept', () => {
    expect(certManagerCrds().map((c) => c.spec.names.kind)).toEqual(['Certificate']);
    expect(validateObjects(certManagerCrds())).toEqual([]);
  });

  test('names every server of every member\'s zoo.cfg, so each member verifies the peer it dials', () => {
    const out = cluster();
    const sans: string[] = out.one('Certificate').spec.dnsNames;
    const servers = ['zoo.cfg', 'zoo-observer.cfg'].flatMap((file) => [...zooCfg(out, file)].filter(([k]) => k.startsWith('server.')).map(([, v]) => v.split(':')[0]));
    expect(servers).toHaveLength(14);
    expect(servers.filter((host) => !covered(sans, host))).toEqual([]);
  });

  test('covers every name the cluster DNS may give a member\'s address, so the accepting member verifies the caller', () => {
    const out = cluster();
    const sans: string[] = out.one('Certificate').spec.dnsNames;
    const names = out.all('StatefulSet').flatMap((sts) => Array.from({ length: sts.spec.replicas }, (_, i) => reverseNames(out, sts, i)).flat());
    // Each member is in the peer and the metrics Service: two names per address.
    expect(names).toHaveLength(14);
    expect(names.filter((name) => !covered(sans, name))).toEqual([]);
  });

  test('covers the Service names clients dial, and no name of another ensemble or namespace', () => {
    const sans: string[] = cluster().one('Certificate').spec.dnsNames;
    for (const name of ['zookeeper', 'zookeeper.zk', 'zookeeper.zk.svc', 'zookeeper.zk.svc.cluster.local', 'zookeeper-headless.zk.svc.cluster.local']) {
      expect({ name, covered: covered(sans, name) }).toEqual({ name, covered: true });
    }
    for (const name of ['zookeeper-5.zookeeper-headless.zk.svc.cluster.local', 'zookeeper-0.zookeeper-headless.other.svc.cluster.local',
      '10-1-2-3.other-metrics.zk.svc.cluster.local', 'a.b.zookeeper-metrics.zk.svc.cluster.local', 'kafka.zk.svc.cluster.local']) {
      expect({ name, covered: covered(sans, name) }).toEqual({ name, covered: false });
    }
  });

  test('is for TLS servers and clients, with a PKCS#12 keystore under the password Secret the pods mount, in the Secret they mount', () => {
    const out = tlsChart({ quorumTls: true, tlsIssuer: ISSUER, tlsPasswordSecret: { name: 'zk-store-password', key: 'pw' } });
    const { spec } = out.one('Certificate');
    expect(spec.issuerRef).toEqual({ name: 'internal-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    expect(spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    expect(spec.keystores.pkcs12).toEqual({ create: true, passwordSecretRef: { name: 'zk-store-password', key: 'pw' } });
    const secretNames = out.podSpec.volumes.filter((v: any) => v.secret).map((v: any) => v.secret.secretName);
    expect(secretNames).toEqual([spec.secretName, 'zk-store-password']);
  });

  test('is applied in an earlier sync wave than the pods that mount its Secret', () => {
    const out = tlsChart({ quorumTls: true, tlsIssuer: ISSUER });
    const wave = (o: KubeObject) => Number(o.metadata.annotations['argocd.argoproj.io/sync-wave']);
    expect(wave(out.one('Certificate'))).toBeLessThan(wave(out.statefulSet));
  });

  test('is not created for an existing Secret, which the pods mount instead', () => {
    const out = tlsChart({ quorumTls: true, tlsSecretName: 'zk-certs' });
    expect(out.all('Certificate')).toEqual([]);
    expect(out.podSpec.volumes.find((v: any) => v.name === 'tls').secret.secretName).toBe('zk-certs');
  });
});

describe('secret material', () => {
  test('no ConfigMap, environment variable or command of any TLS variant carries a password or a key', () => {
    for (const props of [{ quorumTls: true, clientTls: ClientTls.ONLY, tlsIssuer: ISSUER }, { clientTls: ClientTls.ON, tlsSecretName: 'x' }]) {
      const out = tlsChart(props);
      const text = [
        ...out.all('ConfigMap').flatMap((cm) => Object.values(cm.data ?? {}) as string[]),
        JSON.stringify(out.podSpec.containers), JSON.stringify(out.podSpec.initContainers),
      ].join('\n');
      expect(text).not.toMatch(/password\s*[=:]\s*\S/i);
      expect(text).not.toMatch(/BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)/);
      expect(text).not.toMatch(/secretKeyRef/);
    }
  });
});

describe('the resolved model', () => {
  test('uses the chart-independent defaults: port 2281, password Secret <name>-tls-password, Secret <name>-tls', () => {
    const model = resolveEnsemble({ name: 'coord', clientTls: ClientTls.ON, tlsIssuer: { name: 'ca' } }, 'zk');
    expect(model.ports.secureClient).toEqual({ name: 'client-tls', port: 2281 });
    expect(model.tls).toMatchObject({ secretName: 'coord-tls', passwordSecret: { name: 'coord-tls-password', key: 'password' } });
    expect(model.tls?.certificate?.issuer).toEqual({ name: 'ca', kind: 'Issuer', group: 'cert-manager.io' });
  });

  test('supervisord gets the sync program only with TLS', () => {
    expect(renderSupervisordConf(resolveEnsemble({ quorumTls: true, tlsSecretName: 'x' }, 'zk'))).toContain('[program:tls-sync]');
    expect(renderSupervisordConf(resolveEnsemble({}, 'zk'))).not.toContain('tls-sync');
  });
});
