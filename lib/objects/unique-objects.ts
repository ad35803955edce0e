import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { SettingIssue } from '../model/errors';

/** `Kind.group namespace/name`: what the API server tells objects apart by. */
function identity(o: ApiObject): string {
  const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
  const namespace = o.metadata.namespace ? `${o.metadata.namespace}/` : '';
  return `${o.kind}${group} ${namespace}${o.name}`;
}

/**
 * The issue when an object of `owner` is also written by another construct of the same app: one
 * would overwrite the other in the cluster, and deleting either would delete both. Every chart of
 * an app is applied together, so objects are compared across charts too. Only objects built
 * before `owner`'s are seen; `owner` is checked when it has built its own.
 */
export function duplicateObjects(owner: IConstruct, setting: string, fix: string): SettingIssue | undefined {
  const own = owner.node.findAll().filter(ApiObject.isApiObject);
  const ownIds = new Set(own.map(identity));
  const clashes = owner.node.root.node.findAll()
    .filter((c): c is ApiObject => ApiObject.isApiObject(c) && !own.includes(c) && ownIds.has(identity(c)));
  if (clashes.length === 0) return undefined;
  const listed = [...new Set(clashes.map(identity))];
  const others = [...new Set(clashes.map((c) => c.node.scope!.node.path))];
  return {
    setting,
    message: `would write ${listed.slice(0, 3).join(', ')}${listed.length > 3 ? ` and ${listed.length - 3} more` : ''}, `
      + `which ${others.map((p) => `'${p}'`).join(' and ')} already write${others.length === 1 ? 's' : ''} in the same app; ${fix}`,
  };
}
