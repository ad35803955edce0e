/**
 * The backup's S3-compatible object storage target as settings: what the CronJob and the restore
 * Job get (the bucket in their environment, the credentials only through the user's Secret), what
 * their NetworkPolicy lets them reach, and the errors for a target that cannot work. The tool's
 * requests themselves are checked in test/s3-signing.test.ts and against a real server in e2e 22.6-22.8.
 */
import { isAllowed, PodEndpoint } from './support/network-policy';
import { issuesOf } from './support/settings-issues';
import { KubeObject, synthEnsemble } from './support/synth';

const S3 = {
  backup: true,
  backupS3Endpoint: 'https://s3.example.com',
  backupS3Bucket: 'zk-backups',
  backupS3CredentialsSecret: 'zk-backup-s3',
} as const;


const podOf = (owner: KubeObject) => (owner.kind === 'CronJob' ? owner.spec.jobTemplate.spec.template : owner.spec.template);
const envOf = (owner: KubeObject) => Object.fromEntries(podOf(owner).spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('a bucket as the backup target', () => {
  const synth = synthEnsemble({ name: 'zk', ...S3, backupS3Prefix: 'zookeeper/prod', restoreBackup: 'latest' });
  const owners = [synth.one('CronJob', 'zk-backup'), synth.one('Job', 'zk-restore')];

  test('the backup and the restore pods are told the bucket, the prefix (with its \'/\'), the region and the addressing', () => {
    for (const owner of owners) {
      expect(envOf(owner)).toMatchObject({
        ZK_BACKUP_S3_ENDPOINT: 'https://s3.example.com', ZK_BACKUP_S3_BUCKET: 'zk-backups', ZK_BACKUP_S3_PREFIX: 'zookeeper/prod/',
        ZK_BACKUP_S3_REGION: 'us-east-1', ZK_BACKUP_S3_PATH_STYLE: 'true',
      });
      expect(envOf(owner)).not.toHaveProperty('ZK_BACKUP_DIR');
    }
  });

  test('the credentials come from the user\'s Secret by reference: in no ConfigMap, no argument, no value', () => {
    for (const owner of owners) {
      const container = podOf(owner).spec.containers[0];
      const credentials = container.env.filter((e: any) => e.name.startsWith('AWS_'));
      expect(credentials).toEqual([
        { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'zk-backup-s3', key: 'AWS_ACCESS_KEY_ID' } } },
        { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'zk-backup-s3', key: 'AWS_SECRET_ACCESS_KEY' } } },
      ]);
      expect(container.command.join(' ')).not.toMatch(/AWS_|zk-backup-s3/);
    }
    expect(synth.all('Secret')).toEqual([]);
  });

  test('no claim is mounted: the new backup and the copy read back for verifying live in the pod\'s /tmp', () => {
    for (const owner of owners) {
      const spec = podOf(owner).spec;
      expect(spec.volumes.filter((v: any) => v.persistentVolumeClaim)).toEqual([]);
      expect(spec.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } });
      expect(envOf(owner).ZK_BACKUP_TMP_DIR).toBe('/tmp');
    }
  });

  test('the tool shipped in the ConfigMap holds its S3 client and its signing', () => {
    const program = synth.file('zk-backup', 'ZooKeeperBackup.java');
    expect(program).toMatch(/^public class ZooKeeperBackup/m);
    expect(program).toMatch(/^final class S3Bucket/m);
    expect(program).toMatch(/AWS4-HMAC-SHA256/);
  });

  test('a private CA is mounted from the user\'s ConfigMap and named to the tool', () => {
    const withCa = synthEnsemble({ name: 'zk', ...S3, backupS3CaConfigMap: 'corp-ca' });
    const pod = podOf(withCa.one('CronJob', 'zk-backup'));
    expect(pod.spec.volumes).toContainEqual({ name: 's3-ca', configMap: { name: 'corp-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    expect(envOf(withCa.one('CronJob', 'zk-backup')).ZK_BACKUP_S3_CA_FILE).toBe('/run/zookeeper-backup-s3-ca/ca.crt');
  });
});

describe('what the NetworkPolicy lets a backup to a bucket reach', () => {
  const reachesFrom = (props: Record<string, unknown>) => {
    const synth = synthEnsemble({ name: 'zk', ...props });
    const backupPod: PodEndpoint = { namespace: 'zk', labels: podOf(synth.one('CronJob')).metadata.labels };
    return (ip: string, port: number) => isAllowed(synth.all('NetworkPolicy'), { from: backupPod, to: { ip }, port, protocol: 'TCP' });
  };

  test('an endpoint named by host: its port (from the URL) anywhere, no other port', () => {
    const reaches = reachesFrom({ ...S3, backupS3Endpoint: 'https://s3.example.com:9443' });
    expect(reaches('203.0.113.7', 9443)).toBe(true);
    expect(reaches('203.0.113.7', 443)).toBe(false);
    expect(reaches('203.0.113.7', 22)).toBe(false);
  });

  test('an endpoint named by address, or given backupS3Cidr: that address block only', () => {
    const byAddress = reachesFrom({ ...S3, backupS3Endpoint: 'http://10.20.0.5:8333' });
    expect(byAddress('10.20.0.5', 8333)).toBe(true);
    expect(byAddress('10.20.0.6', 8333)).toBe(false);
    const byCidr = reachesFrom({ ...S3, backupS3Cidr: '198.51.100.0/24' });
    expect(byCidr('198.51.100.20', 443)).toBe(true);
    expect(byCidr('203.0.113.7', 443)).toBe(false);
  });

  test('a backup to a claim still reaches no outside address', () => {
    expect(reachesFrom({ backup: true, backupClaimName: 'zk-backups' })('203.0.113.7', 443)).toBe(false);
  });
});

describe('S3 target settings that cannot work are refused, naming the setting', () => {
  test.each([
    ['both a claim and a bucket', { ...S3, backupClaimName: 'zk-backups' }, 'backupClaimName', /one target, the claim or the bucket/],
    ['neither a claim nor a bucket', { backup: true }, 'backupClaimName', /or set backupS3Endpoint, backupS3Bucket and backupS3CredentialsSecret/],
    ['a scheme other than http or https', { ...S3, backupS3Endpoint: 'ftp://s3.example.com' }, 'backupS3Endpoint', /https:\/\/host\[:port\] or http:\/\/host\[:port\]/],
    ['a path after the host', { ...S3, backupS3Endpoint: 'https://s3.example.com/zk-backups' }, 'backupS3Endpoint', /nothing after the host and port/],
    ['not a URL', { ...S3, backupS3Endpoint: 's3.example.com' }, 'backupS3Endpoint', /must be the URL/],
    ['no bucket', { ...S3, backupS3Bucket: undefined }, 'backupS3Bucket', /required with backupS3Endpoint/],
    ['no credentials Secret', { ...S3, backupS3CredentialsSecret: undefined }, 'backupS3CredentialsSecret', /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/],
    ['a bucket name S3 does not allow', { ...S3, backupS3Bucket: 'ZK_Backups' }, 'backupS3Bucket', /3 to 63 lowercase letters/],
    ['a prefix starting with \'/\'', { ...S3, backupS3Prefix: '/zookeeper' }, 'backupS3Prefix', /no leading '\/'/],
    ['a prefix climbing out with \'..\'', { ...S3, backupS3Prefix: 'zookeeper/../other' }, 'backupS3Prefix', /no '\.' or '\.\.' parts/],
    ['a region that is not one', { ...S3, backupS3Region: 'EU West' }, 'backupS3Region', /region name/],
    ['a CA for a plain-http endpoint', { ...S3, backupS3Endpoint: 'http://minio:9000', backupS3CaConfigMap: 'ca' }, 'backupS3CaConfigMap', /needs an https/],
    ['an address block that is not one', { ...S3, backupS3Cidr: '10.0.0.0/33' }, 'backupS3Cidr', /CIDR notation/],
    ['a bucket without an endpoint', { backup: true, backupClaimName: 'zk-backups', backupS3Bucket: 'zk-backups' }, 'backupS3Bucket', /no effect without backupS3Endpoint/],
  ])('%s', (_what, props, setting, message) => {
    const issues = issuesOf(props);
    expect(issues.map((i) => i.setting)).toEqual([setting]);
    expect(issues[0].message).toMatch(message);
  });

  test('credentials written into the endpoint are refused without being echoed', () => {
    const issues = issuesOf({ ...S3, backupS3Endpoint: 'https://AKIAEXAMPLEKEY:S3cr3tV4lue@s3.example.com' });
    expect(issues.map((i) => i.setting)).toEqual(['backupS3Endpoint']);
    expect(issues[0].message).toMatch(/must not hold credentials/);
    expect(JSON.stringify(issues)).not.toMatch(/AKIAEXAMPLEKEY|S3cr3tV4lue/);
  });

  test('a key pasted into backupS3CredentialsSecret is refused without being echoed', () => {
    const issues = issuesOf({ ...S3, backupS3CredentialsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    expect(issues.map((i) => i.setting)).toEqual(['backupS3CredentialsSecret']);
    expect(JSON.stringify(issues)).not.toMatch(/wJalrXUtnFEMI/);
  });
});
