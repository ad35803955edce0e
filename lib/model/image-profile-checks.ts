import { ImageProfileProps, LoggingBackend } from '../image-profile';
import { SettingIssue } from './errors';
import { NameFormat } from './settings-reader';

const ABSOLUTE_PATH = /^\/[^\s:]*$/;

/** Problems with an image profile; settings are named relative to the profile. */
export function checkImageProfile(p: ImageProfileProps): SettingIssue[] {
  const issues: SettingIssue[] = [];
  const fail = (setting: string, message: string) => issues.push({ setting, message });

  if (typeof p.image !== 'string' || !/^[^\s]+$/.test(p.image)) {
    fail('image', `must be an image reference without spaces (got ${JSON.stringify(p.image)})`);
  }
  if (typeof p.zookeeperVersion !== 'string' || p.zookeeperVersion === '' || NameFormat.labelValue(p.zookeeperVersion)) {
    fail('zookeeperVersion', `must be a version usable as a label value, e.g. '3.8.4' (got ${JSON.stringify(p.zookeeperVersion)})`);
  }
  if (!Array.isArray(p.classpath) || p.classpath.length === 0 || p.classpath.some((entry) => !ABSOLUTE_PATH.test(entry))) {
    fail('classpath', 'must be a non-empty list of absolute paths without spaces or \':\'');
  }
  for (const key of ['javaPath', 'supervisordPath', 'bashPath'] as const) {
    if (typeof p[key] !== 'string' || !ABSOLUTE_PATH.test(p[key])) fail(key, `must be an absolute path (got ${JSON.stringify(p[key])})`);
  }
  if (!Number.isInteger(p.userId) || p.userId < 1 || p.userId > 2147483647) {
    fail('userId', `must be a non-root uid from 1 to 2147483647 (got ${p.userId}): the pods run as non-root`);
  }
  if (!Number.isInteger(p.groupId) || p.groupId < 0 || p.groupId > 2147483647) {
    fail('groupId', `must be a gid from 0 to 2147483647 (got ${p.groupId})`);
  }
  if (typeof p.nativePrometheusMetrics !== 'boolean') fail('nativePrometheusMetrics', 'must be true or false');
  if (p.pythonPath !== undefined && (typeof p.pythonPath !== 'string' || !ABSOLUTE_PATH.test(p.pythonPath))) {
    fail('pythonPath', `must be an absolute path (got ${JSON.stringify(p.pythonPath)})`);
  } else if (p.nativePrometheusMetrics === false && p.pythonPath === undefined) {
    fail('pythonPath', 'is required when nativePrometheusMetrics is false: the metrics exporter beside ZooKeeper runs with python3');
  }
  if (!Object.values(LoggingBackend).includes(p.logging)) {
    fail('logging', `must be one of ${Object.values(LoggingBackend).map((v) => `'${v}'`).join(', ')} (got ${JSON.stringify(p.logging)})`);
  }
  return issues;
}
