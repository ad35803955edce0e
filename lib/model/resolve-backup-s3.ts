import * as net from 'net';
import { BackupS3Model } from './ensemble-model';
import { cidrFormat } from './resolve-network-policy';
import { NameFormat, SettingsReader } from './settings-reader';

/** AWS's bucket naming rules, which S3-compatible services accept too. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Key characters that need no escaping anywhere (AWS's "safe characters"), '/' between parts. */
const PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/?$/;
const REGION = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
/** The keys of the credentials Secret: the names the AWS tools use, so one Secret serves both. */
export const S3_SECRET_KEYS = { accessKeyId: 'AWS_ACCESS_KEY_ID', secretAccessKey: 'AWS_SECRET_ACCESS_KEY' } as const;
/** The settings of the S3 target other than the endpoint, which only mean something with it. */
export const S3_TARGET_SETTINGS = ['backupS3Bucket', 'backupS3Prefix', 'backupS3Region', 'backupS3PathStyle', 'backupS3CredentialsSecret', 'backupS3CaConfigMap', 'backupS3Cidr'] as const;

/**
 * Reads the S3 target of the backup, or undefined when backupS3Endpoint is not set (then none of
 * its other settings may be). The endpoint is never printed in an error: a user may have put
 * credentials in it.
 */
export function readBackupS3(s: SettingsReader, caDir: string): BackupS3Model | undefined {
  if (!s.has('backupS3Endpoint')) {
    for (const key of S3_TARGET_SETTINGS.filter((k) => s.has(k))) s.fail(key, 'has no effect without backupS3Endpoint: set the endpoint of the object storage, or remove it');
    return undefined;
  }
  const endpoint = s.string('backupS3Endpoint', undefined, endpointFormat);
  const bucket = s.string('backupS3Bucket', undefined, (v) => (BUCKET.test(v) && !v.includes('..') && !net.isIP(v) ? undefined
    : 'must be a bucket name: 3 to 63 lowercase letters, digits, \'.\' and \'-\', starting and ending with a letter or digit'));
  const prefix = s.string('backupS3Prefix', '', (v) => (v === '' || (v.length <= 512 && PREFIX.test(v) && !v.split('/').some((part) => part === '.' || part === '..')) ? undefined
    : 'must be a key prefix such as \'zookeeper/prod/\': parts of letters, digits and !_.*\'()- joined by \'/\', no leading \'/\', no \'.\' or \'..\' parts, at most 512 characters'));
  const region = s.string('backupS3Region', 'us-east-1', (v) => (REGION.test(v) ? undefined : 'must be a region name such as \'us-east-1\': lowercase letters, digits and \'-\''));
  const pathStyle = s.bool('backupS3PathStyle', true);
  const credentialsSecret = s.string('backupS3CredentialsSecret', undefined, NameFormat.dnsSubdomain);
  const caConfigMap = s.string('backupS3CaConfigMap', undefined, NameFormat.dnsSubdomain);
  const cidr = s.string('backupS3Cidr', undefined, cidrFormat);
  for (const [key, value] of [['backupS3Bucket', bucket], ['backupS3CredentialsSecret', credentialsSecret]] as const) {
    if (value === undefined && !s.failed(key)) {
      s.fail(key, `is required with backupS3Endpoint: ${key === 'backupS3Bucket' ? 'name the existing bucket the backups go to'
        : `name an existing Secret of the ensemble's namespace with the keys ${S3_SECRET_KEYS.accessKeyId} and ${S3_SECRET_KEYS.secretAccessKey}`}`);
    }
  }
  if (endpoint === undefined || bucket === undefined || credentialsSecret === undefined) return undefined;
  const url = new URL(endpoint);
  if (caConfigMap !== undefined && url.protocol !== 'https:') s.fail('backupS3CaConfigMap', 'needs an https backupS3Endpoint: a CA only matters to TLS');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return {
    endpoint: url.origin,
    host,
    port,
    bucket,
    prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
    region,
    pathStyle,
    credentialsSecret,
    secretKeys: S3_SECRET_KEYS,
    caConfigMap,
    caFile: caConfigMap === undefined ? undefined : `${caDir}/ca.crt`,
    // An address endpoint is reached at that address only; a name resolves to addresses the policy cannot know.
    cidr: cidr ?? (net.isIPv4(host) ? `${host}/32` : net.isIPv6(host) ? `${host}/128` : undefined),
  };
}

function endpointFormat(value: string): string | undefined {
  const allowed = 'must be the URL of the object storage service, https://host[:port] or http://host[:port], with nothing after the host and port';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return allowed;
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not hold credentials: put the access key in the Secret named by backupS3CredentialsSecret (the value is not shown here)';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return allowed;
  if (url.hostname === '' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || /[?#]/.test(value)) return allowed;
  return undefined;
}
