import { Construct } from 'constructs';
import { k8s } from '../k8s';
import { EnsembleModel, RollModel } from '../model/ensemble-model';
import { templateHash as hashOf } from '../render/checksum';
import { loadJavaSource, renderToolLogging, toolClientPort } from '../render/java-tool';
import { renderJvmSecurity } from '../render/jvm-security';
import { javaToolPodSpec } from './java-tool';
import { objectMeta } from './metadata';

/** The roller's source file in lib/java and in its ConfigMap. */
export const ROLLER_SOURCE = 'Roller.java';
/**
 * The DNS cache times of the members' JVM, for the roller's: a replaced member keeps its name but
 * not its address, and the JDK's default keeps a resolved name 30 s, so the roller would ask the
 * old address whether the member is back for up to 30 s after it is.
 */
export const ROLLER_SECURITY_FILE = 'java.security';
/** Kubernetes' longest Job name: the Job controller puts it in a label of the pod. */
const MAX_JOB_NAME = 63;
/**
 * Under Argo CD the Job is a PostSync hook: an OnDelete StatefulSet reports Healthy as soon as it
 * is applied (argo-cd#6527), so the hook starts right after the sync, and before the post-deploy
 * check, whose wave is later. BeforeHookCreation replaces a Job of the same template on a re-sync.
 */
export const ROLL_HOOK_ANNOTATIONS = {
  'argocd.argoproj.io/hook': 'PostSync',
  'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
} as const;
/** Before the post-deploy check (wave 1) among the PostSync hooks. */
const ROLL_HOOK_WAVE = '0';

/**
 * The roll Job's name: its prefix and a hash of the members' pod template it rolls to and of its
 * own pod template (as it is written out). Each members' template gets its own Job, re-applying an unchanged one leaves
 * its Job as it is, and a Job whose own pod changed (a library upgrade, another bound) gets a new
 * name too: `kubectl apply` can never meet a Job's immutable template changed under the same name.
 * The hash is cut to fit 63 characters, keeping at least 5 hex digits: it only has to tell
 * consecutive Jobs apart.
 */
export function rollJobName(roll: RollModel, membersTemplateHash: string, jobTemplateJson: unknown): string {
  const hash = hashOf({ members: membersTemplateHash, job: jobTemplateJson });
  return `${roll.jobPrefix}-${hash.slice(0, Math.min(10, MAX_JOB_NAME - roll.jobPrefix.length - 1))}`;
}

/**
 * The leader-last roll's objects, or nothing without it: the roller's ServiceAccount, a Role that
 * grants reading the voters' StatefulSet and pods and evicting them by name (an eviction honours
 * the PodDisruptionBudget, a DELETE would not), its RoleBinding, the ConfigMap with the source, and
 * the Job for this template.
 */
export function addRoller(scope: Construct, model: EnsembleModel, templateHash: string): void {
  const roll = model.roll;
  if (roll === undefined) return;
  const voters = model.members.map((m) => m.podName);
  new k8s.KubeServiceAccount(scope, 'RollServiceAccount', {
    metadata: objectMeta(model, roll.serviceAccount, 'configuration', roll.labels),
    // Only the roll Job's pod asks for the token (its own automount); nothing else runs as it.
    automountServiceAccountToken: false,
  });
  new k8s.KubeRole(scope, 'RollRole', {
    metadata: objectMeta(model, roll.role, 'configuration', roll.labels),
    rules: [
      { apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: [model.names.statefulSet], verbs: ['get'] },
      // By name: the roller knows its members, so it needs no list of every pod in the namespace.
      { apiGroups: [''], resources: ['pods'], resourceNames: voters, verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/eviction'], resourceNames: voters, verbs: ['create'] },
    ],
  });
  new k8s.KubeRoleBinding(scope, 'RollRoleBinding', {
    metadata: objectMeta(model, roll.role, 'configuration', roll.labels),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roll.role },
    subjects: [{ kind: 'ServiceAccount', name: roll.serviceAccount, namespace: model.namespace }],
  });
  const logging = renderToolLogging(model.image.logging);
  new k8s.KubeConfigMap(scope, 'ConfigMap-roll', {
    metadata: objectMeta(model, roll.configMap, 'configuration', roll.labels),
    data: { [ROLLER_SOURCE]: loadJavaSource(ROLLER_SOURCE), [logging.file]: logging.content, [ROLLER_SECURITY_FILE]: renderJvmSecurity(model) },
  });
  const template: k8s.PodTemplateSpec = { metadata: { labels: { ...roll.labels }, annotations: { ...model.podAnnotations } }, spec: rollPodSpec(model, roll, templateHash) };
  const meta = objectMeta(model, rollJobName(roll, templateHash, k8s.toJson_PodTemplateSpec(template)), 'workload', roll.labels);
  new k8s.KubeJob(scope, 'RollJob', {
    metadata: { ...meta, annotations: { ...meta.annotations, ...ROLL_HOOK_ANNOTATIONS, 'argocd.argoproj.io/sync-wave': ROLL_HOOK_WAVE } },
    spec: {
      // Never retried: a second run could take down a member while the first one's is still out.
      backoffLimit: 0,
      activeDeadlineSeconds: roll.deadlineSeconds,
      ttlSecondsAfterFinished: roll.ttlSecondsAfterFinished,
      template,
    },
  });
}

function rollPodSpec(model: EnsembleModel, roll: RollModel, templateHash: string): k8s.PodSpec {
  return javaToolPodSpec(model, {
    container: roll.container,
    configMap: roll.configMap,
    sourceDir: roll.sourceDir,
    source: ROLLER_SOURCE,
    heapMiB: roll.heapMiB,
    env: rollEnv(model, roll, templateHash),
    serviceAccount: roll.serviceAccount,
    // The one pod of the ensemble that talks to the API server: the kubelet mounts its token and CA.
    automountServiceAccountToken: true,
    // Client TLS stores for `srvr` on the TLS port; no SASL: four-letter words need no login.
    saslUser: undefined,
    securityFile: ROLLER_SECURITY_FILE,
  });
}

function rollEnv(model: EnsembleModel, roll: RollModel, templateHash: string): k8s.EnvVar[] {
  return [
    { name: 'ZK_ROLL_NAMESPACE', value: model.namespace },
    { name: 'ZK_ROLL_STATEFULSET', value: model.names.statefulSet },
    { name: 'ZK_ROLL_TEMPLATE_HASH', value: templateHash },
    { name: 'ZK_ROLL_VOTERS', value: model.members.map((m) => m.fqdn).join(' ') },
    { name: 'ZK_ROLL_CLIENT_PORT', value: String(toolClientPort(model)) },
    { name: 'ZK_ROLL_METRICS_PORT', value: String(model.ports.metrics.port) },
    { name: 'ZK_ROLL_MEMBER_SECONDS', value: String(roll.memberSeconds) },
    { name: 'ZK_ROLL_TEMPLATE_WAIT_SECONDS', value: String(roll.templateWaitSeconds) },
  ];
}
