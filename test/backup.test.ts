/**
 * The scheduled backup and the restore Job as settings: what the CronJob and the Job run and
 * mount, that no credential reaches the manifests, what their NetworkPolicy lets through
 * (evaluated as a network plugin would), and the errors for settings that cannot work.
 */
import { ClientAccess, ClientTls, resolveEnsemble } from '../lib';
import { isAllowed, PodEndpoint } from './support/network-policy';
import { issuesOf } from './support/settings-issues';
import { KubeObject, synthEnsemble } from './support/synth';

const BACKUP = { backup: true, backupClaimName: 'zk-backups' } as const;


const podOf = (owner: KubeObject) => (owner.kind === 'CronJob' ? owner.spec.jobTemplate.spec.template : owner.spec.template);
const envOf = (owner: KubeObject) => Object.fromEntries(podOf(owner).spec.containers[0].env.map((e: any) => [e.name, e.value]));

describe('backup off (the default)', () => {
  test('adds no CronJob, Job, tool ConfigMap or NetworkPolicy, and opens nothing for a backup', () => {
    const synth = synthEnsemble({ name: 'zk' });
    expect(synth.all('CronJob')).toEqual([]);
    // The Jobs of a default ensemble are the post-deploy check's and the roll's.
    expect(synth.all('Job').map((j) => j.metadata.name)).toEqual(['zk-post-deploy-check', expect.stringMatching(/^zk-roll-[0-9a-f]{10}$/)]);
    expect(synth.all('ConfigMap').map((c) => c.metadata.name)).not.toContain('zk-backup');
    expect(synth.all('NetworkPolicy').map((p) => p.metadata.name)).toEqual(['zk']);
  });
});

describe('the backup CronJob', () => {
  const synth = synthEnsemble({ name: 'zk', ...BACKUP, backupSchedule: '15 */6 * * *', backupRetention: 12 });
  const cronJob = synth.one('CronJob', 'zk-backup');
  const pod = podOf(cronJob);

  test('runs on the schedule, never two at once, bounded in time', () => {
    expect(cronJob.spec.schedule).toBe('15 */6 * * *');
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    expect(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(3600);
    expect(pod.spec.restartPolicy).toBe('Never');
  });

  test('runs the tool from its ConfigMap with the server image\'s java and classpath, through the client Service', () => {
    const [container] = pod.spec.containers;
    expect(container.image).toBe(synth.mainContainer.image);
    expect(container.command[0]).toBe('/usr/bin/java');
    expect(container.command.slice(-2)).toEqual(['/opt/zookeeper-backup/ZooKeeperBackup.java', 'backup']);
    expect(container.command).toContain('/apache-zookeeper-3.8.4-bin/lib/*');
    expect(synth.file('zk-backup', 'ZooKeeperBackup.java')).toMatch(/public class ZooKeeperBackup/);
    expect(envOf(cronJob)).toMatchObject({ ZK_CONNECT: 'zk.zk.svc.cluster.local:2181', ZK_BACKUP_DIR: '/backup', ZK_BACKUP_KEEP: '12' });
    expect(pod.spec.volumes).toContainEqual({ name: 'backups', persistentVolumeClaim: { claimName: 'zk-backups' } });
  });

  test('its pods match no Service or member selector: they are never sent client traffic', () => {
    const labels = pod.metadata.labels;
    const selectors = [...synth.all('Service').map((s) => s.spec.selector), synth.statefulSet.spec.selector.matchLabels];
    expect(selectors.filter((sel) => Object.entries(sel).every(([k, v]) => labels[k] === v))).toEqual([]);
  });
});

describe('no credential in a manifest', () => {
  const synth = synthEnsemble({ name: 'zk', ...BACKUP, backupDigestSecret: 'zk-backup-digest', restoreBackup: 'latest' });

  test('the digest user reaches the tool as a file of a Secret volume, readable by the pod\'s group only', () => {
    for (const owner of [synth.one('CronJob'), synth.one('Job', 'zk-restore')]) {
      const spec = podOf(owner).spec;
      expect(envOf(owner).ZK_BACKUP_DIGEST_FILE).toBe('/run/zookeeper-backup-digest/digest');
      expect(spec.volumes).toContainEqual({ name: 'digest', secret: { secretName: 'zk-backup-digest', defaultMode: 0o440, items: [{ key: 'digest', path: 'digest' }] } });
      expect(JSON.stringify(spec.containers[0].command)).not.toMatch(/digest/);
    }
  });

  test('a credential pasted into backupDigestSecret is refused without being echoed', () => {
    const issues = issuesOf({ ...BACKUP, backupDigestSecret: 'super:Hunter2Secret' });
    expect(issues.map((i) => i.setting)).toEqual(['backupDigestSecret']);
    expect(JSON.stringify(issues)).not.toMatch(/Hunter2Secret/);
  });
});

describe('the restore Job', () => {
  test('exists only with restoreBackup, restores that backup after the members, and cannot write the backups', () => {
    expect(synthEnsemble({ name: 'zk', ...BACKUP }).all('Job').map((j) => j.metadata.name)).toEqual(['zk-post-deploy-check', expect.stringMatching(/^zk-roll-/)]);
    const synth = synthEnsemble({ name: 'zk', ...BACKUP, restoreBackup: 'zookeeper-20261203T023000Z-1a2b' });
    const job = synth.one('Job', 'zk-restore');
    const [container] = podOf(job).spec.containers;
    expect(container.command.slice(-2)).toEqual(['restore', 'zookeeper-20261203T023000Z-1a2b']);
    expect(container.volumeMounts).toContainEqual({ name: 'backups', mountPath: '/backup', readOnly: true });
    const wave = (o: KubeObject) => Number(o.metadata.annotations['argocd.argoproj.io/sync-wave']);
    expect(wave(job)).toBeGreaterThan(wave(synth.statefulSet));
  });
});

describe('what the NetworkPolicies let the backup do', () => {
  const synth = synthEnsemble({ name: 'zk', ...BACKUP, clientAccess: ClientAccess.LISTED_NAMESPACES, clientPodLabels: { 'zk-client': 'true' } });
  const policies = synth.all('NetworkPolicy');
  const backupPod: PodEndpoint = { namespace: 'zk', labels: podOf(synth.one('CronJob')).metadata.labels };
  const member: PodEndpoint = { namespace: 'zk', labels: synth.statefulSet.spec.template.metadata.labels };
  const app: PodEndpoint = { namespace: 'zk', labels: { app: 'solr' } };
  const dns: PodEndpoint = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
  const reaches = (from: any, to: any, port: number, protocol: 'TCP' | 'UDP' = 'TCP') => isAllowed(policies, { from, to, port, protocol });

  test('it reaches the members\' client port even where clientPodLabels keeps unlabelled pods out', () => {
    expect(reaches(backupPod, member, 2181)).toBe(true);
    expect(reaches(app, member, 2181)).toBe(false);
  });

  test('it reaches the DNS, and nothing else: no quorum port, no outside address; nobody reaches it', () => {
    expect(reaches(backupPod, dns, 53, 'UDP')).toBe(true);
    expect(reaches(backupPod, member, 2888)).toBe(false);
    expect(reaches(backupPod, { ip: '93.184.216.34' }, 443)).toBe(false);
    expect(reaches(member, backupPod, 2181)).toBe(false);
  });
});

describe('settings that cannot work are refused, naming the setting', () => {
  test.each([
    ['a schedule of three fields', { ...BACKUP, backupSchedule: '* * *' }, 'backupSchedule', /five fields .* or one of @yearly/],
    ['no claim', { backup: true }, 'backupClaimName', /required with backup: true/],
    ['a claim name that is not a DNS subdomain', { ...BACKUP, backupClaimName: 'Backups!' }, 'backupClaimName', /DNS subdomain/],
    ['no backups kept', { ...BACKUP, backupRetention: 0 }, 'backupRetention', /from 1 to 1000/],
    ['a restore of something that is not a backup name', { ...BACKUP, restoreBackup: 'yesterday' }, 'restoreBackup', /'latest' or the name of a backup/],
    ['a restore without the backup', { restoreBackup: 'latest' }, 'restoreBackup', /no effect without backup: true/],
    ['a schedule without the backup', { backupSchedule: '@daily' }, 'backupSchedule', /no effect without backup: true/],
    ['TLS-only clients', { ...BACKUP, clientTls: ClientTls.ONLY, tlsSecretName: 'zk-tls', tlsPasswordSecret: { name: 'zk-tls', key: 'pw' } }, 'backup', /clientTls 'only'/],
    ['client SASL', { ...BACKUP, clientSasl: true, saslSecretName: 'zk-sasl', saslClientUsers: { app: 'app-password' } }, 'backup', /clientSasl/],
  ])('%s', (_, props, setting, message) => {
    const issues = issuesOf(props);
    expect(issues).toContainEqual({ setting, message: expect.stringMatching(message) });
  });

  test('cron macros and five-field lines with names, ranges and steps are accepted', () => {
    for (const backupSchedule of ['@hourly', '0 3 * * MON-FRI', '*/15 1-5 1,15 JAN *']) {
      expect(() => resolveEnsemble({ ...BACKUP, backupSchedule }, 'zk')).not.toThrow();
    }
  });
});
