/**
 * What a cluster needs before an environment's folder applies: its core manifest runs on plain
 * Kubernetes (plus cert-manager when TLS asks for a Certificate), and everything that needs the
 * Prometheus Operator's CRDs is in a manifest of its own. Checked on the user's environments and
 * on the fixture app, with the real kubectl for the kustomizations.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { PrometheusMonitor } from '../lib';
import { MONITORING_API_GROUP } from '../lib/gitops/manifest-files';
import { AppDefinition, fixtureApp, folderOf, objectsOfTree, readTree, synthAppInto, userApp } from './support/default-app';
import { validateObjects } from './support/k8s-schema';
import { requireKubectl } from './support/tools';

// No CRD schema is registered in this file: validateObjects knows Kubernetes 1.28's own kinds only.
const kubectl = requireKubectl();
const groupOf = (o: { apiVersion: string }) => (o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '');

function kustomize(dir: string): any[] {
  const out = execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  return parseAllDocuments(out).map((d) => d.toJS()).filter((o) => o !== null);
}

describe.each<[string, () => AppDefinition]>([
  ['the user\'s app', userApp],
  ['the fixture app', fixtureApp],
])('%s', (_what, define) => {
  const app = define();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-prereq-'));
  const dist = synthAppInto(app, work);
  const tree = readTree(dist);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  describe.each(app.environments.map((env) => [env.name, env] as const))('environment %s', (name, env) => {
    const files = Object.keys(folderOf(tree, name)).map((file) => file.slice(name.length + 1));
    const check = files.filter((file) => file.endsWith('.post-deploy-check.k8s.yaml'));
    const core = files.filter((file) => file.endsWith('.k8s.yaml') && !file.endsWith('.monitoring.k8s.yaml') && !check.includes(file));
    const monitoring = files.filter((file) => file.endsWith('.monitoring.k8s.yaml'));
    const objectsOf = (file: string) => objectsOfTree({ [file]: tree[`${name}/${file}`] });

    test('has one core manifest, valid on Kubernetes 1.28 without any CRD except cert-manager\'s Certificate, and only when a tlsIssuer asks for one', () => {
      expect(core).toHaveLength(1);
      const objects = objectsOf(core[0]);
      const certificates = objects.filter((o) => groupOf(o) === 'cert-manager.io');
      expect(certificates.map((o) => o.kind)).toEqual(env.settings.tlsIssuer ? ['Certificate'] : []);
      expect(validateObjects(objects.filter((o) => groupOf(o) !== 'cert-manager.io'))).toEqual([]);
      expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['Namespace', 'StatefulSet', 'Service']));
    });

    test('puts every Prometheus Operator object, and nothing else, in a monitoring manifest that sorts after the core one', () => {
      const monitoringObjects = monitoring.flatMap(objectsOf);
      expect(monitoringObjects.filter((o) => groupOf(o) !== MONITORING_API_GROUP)).toEqual([]);
      const wantsOperator = env.settings.prometheusMonitor !== PrometheusMonitor.NONE || env.settings.alertRules !== false;
      expect(monitoring).toHaveLength(wantsOperator ? 1 : 0);
      expect([...core, ...monitoring].sort()).toEqual([...core, ...monitoring]);
    });

    test('puts the post-deploy check\'s Job, an Argo CD hook needing no CRD, alone in its own manifest', () => {
      expect(check).toHaveLength(env.settings.postDeployCheck === false ? 0 : 1);
      const objects = check.flatMap(objectsOf);
      expect(objects.map((o) => `${o.kind}/${o.metadata.annotations?.['argocd.argoproj.io/hook']}`)).toEqual(check.length ? ['Job/PostSync'] : []);
      expect(validateObjects(objects)).toEqual([]);
    });

    test('kubectl kustomize of the folder, the full path, renders the core and the monitoring objects', () => {
      const everything = kustomize(path.join(dist, name));
      expect(everything).toHaveLength([...core, ...monitoring].flatMap(objectsOf).length);
      expect(everything.filter((o) => groupOf(o) === MONITORING_API_GROUP)).toHaveLength(monitoring.flatMap(objectsOf).length);
    });
  });
});

test('the fixture app covers every case: an environment with the operator\'s kinds, one with a Certificate, one with neither', () => {
  const tree = (() => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-prereq-'));
    try {
      return readTree(synthAppInto(fixtureApp(), work));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  })();
  const kinds = (env: string) => objectsOfTree(folderOf(tree, env)).map((o) => o.kind);
  expect(kinds('prod')).toEqual(expect.arrayContaining(['ServiceMonitor', 'PrometheusRule']));
  expect(kinds('secure')).toEqual(expect.arrayContaining(['Certificate', 'PodMonitor']));
  expect(kinds('bare').filter((k) => ['ServiceMonitor', 'PodMonitor', 'PrometheusRule', 'Certificate'].includes(k))).toEqual([]);
});
