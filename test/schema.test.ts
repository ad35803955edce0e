import { App, Testing } from 'cdk8s';
import {
  AntiAffinity, ClientAccess, ClientTls, DeploymentMode, ImageProfile, IssuerKind, LoggingBackend, Membership, PrometheusMonitor, ZoneSpread, ZooKeeperChart, ZooKeeperChartProps,
} from '../lib';
import { publishedApplicationProblems, registerArgoCdSchemas } from './support/argocd-schemas';
import { publishedCertificateProblems, registerCertManagerSchemas } from './support/cert-manager-schemas';
import { DIST, fixtureApp, objectsOfTree, readTree, synthApp, synthUserApp, userApp } from './support/default-app';
import { validateObjects } from './support/k8s-schema';
import { isMonitoringKind, registerMonitoringSchemas, upstreamProblems } from './support/monitoring-schemas';

// ServiceMonitor, PodMonitor and PrometheusRule: strictly by the project's CRDs here, and by the
// operator's published schemas in validateAll below.
registerMonitoringSchemas();
// Argo CD Applications: strictly by the project's CRD, and by Argo CD's published schema below.
registerArgoCdSchemas();
// cert-manager Certificates: strictly by the project's CRD, and by cert-manager's published schema below.
registerCertManagerSchemas();

/** Every problem: Kubernetes 1.28 (strict), plus the published schemas for the monitoring kinds. */
function validateAll(objects: unknown[]): string[] {
  const upstream = (objects as { kind: string; metadata: { name: string } }[]).filter((o) => isMonitoringKind(o.kind))
    .map((o) => upstreamProblems(o) && `${o.kind} ${o.metadata.name}: ${upstreamProblems(o)}`)
    .filter((p): p is string => p !== undefined);
  const applications = (objects as { kind: string; metadata: { name: string } }[]).filter((o) => o.kind === 'Application')
    .map((o) => publishedApplicationProblems(o) && `Application ${o.metadata.name}: ${publishedApplicationProblems(o)}`)
    .filter((p): p is string => p !== undefined);
  const certificates = (objects as { kind: string; metadata: { name: string } }[]).filter((o) => o.kind === 'Certificate')
    .map((o) => publishedCertificateProblems(o) && `Certificate ${o.metadata.name}: ${publishedCertificateProblems(o)}`)
    .filter((p): p is string => p !== undefined);
  return [...validateObjects(objects), ...upstream, ...applications, ...certificates];
}

/** Every object of every chart in an app, as synthesized. */
function objectsOf(define: (app: App) => void): unknown[] {
  const app = Testing.app();
  define(app);
  return app.charts.flatMap((chart) => Testing.synth(chart));
}

const VARIANTS: [string, ZooKeeperChartProps][] = [
  ['a single-member development ensemble', { namespace: 'dev', replicas: 1, antiAffinity: AntiAffinity.PREFERRED, memoryLimitMiB: 512, heapMiB: 256 }],
  ['five members with every optional setting', {
    name: 'coord', namespace: 'prod', replicas: 5, txnLogStorageGiB: 10, storageClassName: 'fast-ssd', cpuLimitMillicores: 4000,
    nodeSelector: { 'node.kubernetes.io/pool': 'zk' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'zk', effect: 'NoSchedule' }],
    priorityClassName: 'system-cluster-critical', imagePullSecrets: ['registry'], zoneSpread: ZoneSpread.DO_NOT_SCHEDULE,
    labels: { 'team.example.com/owner': 'platform' }, annotations: { 'example.com/contact': 'sre@example.com' },
    podAnnotations: { 'example.com/note': 'x' }, additionalConfig: { 'fsync.warningthresholdms': '500' }, jvmOptions: ['-Djute.maxbuffer=4194304'],
    clientPort: 12181, quorumPort: 12888, electionPort: 13888, metricsPort: 17000, adminPort: 18080,
  }],
  ['an image with log4j and without the native metrics provider', {
    namespace: 'debian', image: ImageProfile.custom({ ...ImageProfile.upmio().props, logging: LoggingBackend.LOG4J, nativePrometheusMetrics: false, pythonPath: '/usr/bin/python3' }),
  }],
  ['an ensemble without its Namespace object or disruption budget', { namespace: 'shared', createNamespace: false, podDisruptionBudget: false }],
  ['mode standalone', { namespace: 'dev', mode: DeploymentMode.STANDALONE }],
  ['a cluster with observers, a transaction-log volume and a ServiceMonitor', { namespace: 'big', mode: DeploymentMode.CLUSTER, replicas: 7, observers: 3, txnLogStorageGiB: 5 }],
  ['a cluster with observers and a PodMonitor', { namespace: 'big', mode: DeploymentMode.CLUSTER, observers: 2, prometheusMonitor: PrometheusMonitor.POD_MONITOR }],
  ['a network policy open to listed and labelled namespaces, for labelled pods, with node-local DNS', {
    namespace: 'zk', clientNamespaces: ['kafka', 'hbase'], clientNamespaceLabels: { 'example.com/team': 'data' },
    clientPodLabels: { 'zookeeper.example.com/client': 'true' }, metricsPodLabels: { 'app.kubernetes.io/name': 'prometheus' },
    dnsCidrs: ['169.254.20.10/32', 'fd00::a/128'], dnsPort: 5353,
  }],
  ['a network policy open to every namespace', { namespace: 'zk', clientAccess: ClientAccess.ALL_NAMESPACES }],
  ['a network policy open to any address', { namespace: 'zk', clientAccess: ClientAccess.ANYWHERE }],
  ['an ensemble without a network policy', { namespace: 'zk', networkPolicy: false }],
  ['quorum TLS and TLS-only clients from a cert-manager ClusterIssuer, with observers', {
    namespace: 'secure', mode: DeploymentMode.CLUSTER, observers: 1, quorumTls: true, clientTls: ClientTls.ONLY,
    tlsIssuer: { name: 'internal-ca', kind: IssuerKind.CLUSTER_ISSUER }, tlsPasswordSecret: { name: 'zk-store-password', key: 'password' },
  }],
  ['dynamic membership (experimental), its Role and API server egress', { namespace: 'zk', membership: Membership.DYNAMIC, replicas: 5, bootstrapVoters: 3 }],
  ['dynamic membership of one voter with TLS-only clients', {
    namespace: 'zk', membership: Membership.DYNAMIC, replicas: 1, clientTls: ClientTls.ONLY, tlsSecretName: 'zk-certs',
  }],
  ['client TLS beside plaintext from an existing Secret, on another port', { namespace: 'secure', clientTls: ClientTls.ON, tlsSecretName: 'zk-certs', secureClientPort: 12281 }],
];

describe('Kubernetes 1.28 API schema', () => {
  test('every object of the user\'s app is valid, with no unknown field, bad name or bad port, whatever its environments', () => {
    const { environments, gitops } = userApp();
    const objects = objectsOfTree(synthUserApp());
    expect(objects.filter((o) => o.kind === 'StatefulSet').length).toBeGreaterThanOrEqual(environments.length);
    expect(objects.filter((o) => o.kind === 'Application')).toHaveLength(gitops ? environments.length : 0);
    expect(validateAll(objects)).toEqual([]);
  });

  test('every object of the fixture app is valid, TLS and PodMonitor included', () => {
    const objects = objectsOfTree(synthApp(fixtureApp()));
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['Application', 'Certificate', 'PodMonitor', 'ServiceMonitor', 'PrometheusRule', 'StatefulSet']));
    expect(validateAll(objects)).toEqual([]);
  });

  test('the YAML in dist/, parsed back as kubectl would read it, is valid', () => {
    const objects = objectsOfTree(readTree(DIST));
    expect(objects.filter((o) => o.kind === 'StatefulSet').length).toBeGreaterThanOrEqual(userApp().environments.length);
    expect(validateAll(objects)).toEqual([]);
  });

  test.each(VARIANTS)('every object of %s is valid', (_name, props) => {
    expect(validateAll(objectsOf((app) => new ZooKeeperChart(app, 'chart', props)))).toEqual([]);
  });

  test('two ensembles side by side in one namespace do not collide', () => {
    const objects = objectsOf((app) => {
      new ZooKeeperChart(app, 'a', { name: 'zk-a', namespace: 'shared' });
      new ZooKeeperChart(app, 'b', { name: 'zk-b', namespace: 'shared', createNamespace: false });
    });
    expect(validateAll(objects)).toEqual([]);
  });

  test('the check itself catches a broken object from an app (it is not vacuous)', () => {
    const objects = objectsOfTree(synthApp(fixtureApp()));
    const sts = objects.find((o) => o.kind === 'StatefulSet');
    sts.spec.template.spec.containers[0].ports[0].containerPort = 70000;
    sts.spec.template.spec.containers[0].livenessProbe.exec.comand = ['x'];
    const policy = objects.find((o) => o.kind === 'NetworkPolicy');
    policy.spec.ingress[0].form = policy.spec.ingress[0].from;
    policy.spec.egress[0].ports[0].protocol = 'ICMP';
    const problems = validateObjects(objects);
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringContaining('containers[0].ports[0].containerPort'),
      expect.stringContaining('livenessProbe.exec.comand'),
      expect.stringContaining('NetworkPolicy/zookeeper: spec.ingress[0].form: unknown field'),
      expect.stringContaining('NetworkPolicy/zookeeper: spec.egress[0].ports[0].protocol: must be one of "SCTP", "TCP", "UDP"'),
    ]));
  });
});
