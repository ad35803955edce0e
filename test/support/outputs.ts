import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import {
  ARGOCD_FOLDER, ClientTls, DeploymentMode, ImageProfile, IssuerKind, Membership, PrometheusMonitor, ZooKeeperChart, ZooKeeperChartProps,
} from '../../lib';
import { KubeObject } from './synth';

/**
 * Charts that between them produce every kind of pod and configuration the library can: each
 * mode, observers, both image profiles (native metrics and the mntr exporter), each monitor kind,
 * TLS (from a created Certificate and from an existing Secret), SASL and the optional pod
 * settings. The app's own charts are covered through dist/, which the app test keeps equal to
 * what main.ts synthesizes, whatever its layout.
 */
export const CHART_VARIANTS: Readonly<Record<string, ZooKeeperChartProps>> = {
  'default (highly available)': {},
  'standalone': { mode: DeploymentMode.STANDALONE },
  'cluster with observers': { mode: DeploymentMode.CLUSTER, observers: 2 },
  'debian image (mntr exporter, log4j)': { image: ImageProfile.debian() },
  'cluster with observers on the debian image': { mode: DeploymentMode.CLUSTER, observers: 1, image: ImageProfile.debian() },
  'PodMonitor': { prometheusMonitor: PrometheusMonitor.POD_MONITOR },
  'SASL for clients and the quorum, with a super user': {
    clientSasl: true, quorumSasl: true, saslSecretName: 'zookeeper-sasl', saslClientUsers: { kafka: 'kafka-password' }, saslSuperDigestKey: 'super-digest',
  },
  'TLS for the quorum and TLS-only clients, cert-manager Certificate': {
    quorumTls: true, clientTls: ClientTls.ONLY, tlsIssuer: { name: 'zookeeper-ca', kind: IssuerKind.CLUSTER_ISSUER },
  },
  'TLS for clients beside plaintext, from an existing Secret, on the debian image': {
    clientTls: ClientTls.ON, tlsSecretName: 'zookeeper-certs', tlsPasswordSecret: { name: 'zookeeper-certs', key: 'store-password' }, image: ImageProfile.debian(),
  },
  'scheduled backup with a digest user, and a restore Job': {
    backup: true, backupClaimName: 'zookeeper-backups', backupDigestSecret: 'zookeeper-backup-digest', restoreBackup: 'latest',
  },
  'no monitor, alerts or dashboard': { prometheusMonitor: PrometheusMonitor.NONE, alertRules: false, grafanaDashboard: false },
  'a dynamic membership with TLS-only clients': { membership: Membership.DYNAMIC, clientTls: ClientTls.ONLY, tlsIssuer: { name: 'zookeeper-ca', kind: IssuerKind.CLUSTER_ISSUER } },
  'every optional pod setting': {
    txnLogStorageGiB: 5, storageClassName: 'fast', imagePullSecrets: ['registry'], cpuLimitMillicores: 2000,
    nodeSelector: { pool: 'zk' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'zk', effect: 'NoSchedule' }],
    priorityClassName: 'critical', labels: { team: 'platform' }, podAnnotations: { 'example.com/owner': 'sre' },
    jvmOptions: ['-Djute.maxbuffer=4194304'], additionalConfig: { 'fsync.warningthresholdms': '500' },
  },
};

export interface ChartOutput {
  readonly name: string;
  readonly objects: KubeObject[];
}

/** Every chart variant (or the given ones), each synthesized in its own app. */
export function synthChartVariants(variants: Readonly<Record<string, ZooKeeperChartProps>> = CHART_VARIANTS): ChartOutput[] {
  return Object.entries(variants).map(([name, props]) => ({
    name,
    objects: Testing.synth(new ZooKeeperChart(Testing.app(), 'zookeeper', props)) as KubeObject[],
  }));
}

export const DIST_DIR = path.join(__dirname, '..', '..', 'dist');

/** Every file under dist/, at any depth, relative to the repository (`dist/...`). */
export function distFiles(): { readonly file: string; readonly bytes: Buffer }[] {
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
  return walk(DIST_DIR).sort().map((full) => ({ file: path.relative(path.dirname(DIST_DIR), full), bytes: fs.readFileSync(full) }));
}

/**
 * The objects of each environment under dist/ (every `dist/<env>/*.k8s.yaml`, the core and the
 * monitoring manifest together), read as kubectl would (YAML 1.1). Not the Argo CD Applications of
 * dist/argocd/ nor the kustomization.yaml files, which hold no ensemble; distFiles() still covers
 * them for whole-tree scans.
 */
export function distObjects(): ChartOutput[] {
  const byEnvironment = new Map<string, KubeObject[]>();
  for (const { file, bytes } of distFiles()) {
    if (!/\.k8s\.yaml$/.test(file) || file.startsWith(`dist/${ARGOCD_FOLDER}/`)) continue;
    const objects = parseAllDocuments(bytes.toString('utf8'), { version: '1.1' })
      .map((doc) => {
        if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
        return doc.toJS();
      })
      .filter((o): o is KubeObject => o !== null && typeof o === 'object' && 'kind' in o);
    const environment = path.dirname(file);
    byEnvironment.set(environment, [...(byEnvironment.get(environment) ?? []), ...objects]);
  }
  return [...byEnvironment].map(([name, objects]) => ({ name, objects }));
}
