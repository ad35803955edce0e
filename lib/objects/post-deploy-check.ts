import { Construct } from 'constructs';
import { k8s } from '../k8s';
import { EnsembleModel, PostDeployCheckModel } from '../model/ensemble-model';
import { clientPasswordFile } from '../model/resolve-sasl';
import { loadJavaSource, renderToolLogging, toolClientPort } from '../render/java-tool';
import { javaToolPodSpec } from './java-tool';
import { objectMeta } from './metadata';

/** The check's source file in lib/java and in its ConfigMap. */
export const POST_DEPLOY_CHECK_SOURCE = 'PostDeployCheck.java';
/** Argo CD runs the Job after every sync, once all else is healthy, and deletes it before the next. */
export const POST_DEPLOY_CHECK_HOOK_ANNOTATIONS = {
  'argocd.argoproj.io/hook': 'PostSync',
  'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
} as const;

/** The ConfigMap with the check's source and its JVM's logging config, or nothing when the check is off. */
export function addPostDeployCheckConfigMap(scope: Construct, model: EnsembleModel): void {
  const check = model.postDeployCheck;
  if (check === undefined) return;
  const logging = renderToolLogging(model.image.logging);
  new k8s.KubeConfigMap(scope, 'ConfigMap-post-deploy-check', {
    metadata: objectMeta(model, check.configMap, 'configuration', check.labels),
    data: { [POST_DEPLOY_CHECK_SOURCE]: loadJavaSource(POST_DEPLOY_CHECK_SOURCE), [logging.file]: logging.content },
  });
}

/**
 * The check's Job. Not retried (backoffLimit 0): the program retries within each step, and a
 * failure is the answer. Its objects stay until the next sync replaces them, so the log can be read.
 */
export function addPostDeployCheckJob(scope: Construct, model: EnsembleModel): void {
  const check = model.postDeployCheck;
  if (check === undefined) return;
  const meta = objectMeta(model, check.job, 'workload', check.labels);
  new k8s.KubeJob(scope, 'PostDeployCheck', {
    metadata: { ...meta, annotations: { ...meta.annotations, ...POST_DEPLOY_CHECK_HOOK_ANNOTATIONS } },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: check.deadlineSeconds,
      template: { metadata: { labels: { ...check.labels }, annotations: { ...model.podAnnotations } }, spec: checkPodSpec(model, check) },
    },
  });
}

function checkPodSpec(model: EnsembleModel, check: PostDeployCheckModel): k8s.PodSpec {
  return javaToolPodSpec(model, {
    container: check.container,
    configMap: check.configMap,
    sourceDir: check.sourceDir,
    source: POST_DEPLOY_CHECK_SOURCE,
    heapMiB: check.heapMiB,
    env: checkEnv(model, check),
    serviceAccount: model.names.serviceAccount,
    automountServiceAccountToken: false,
    saslUser: check.saslUser,
  });
}

function checkEnv(model: EnsembleModel, check: PostDeployCheckModel): k8s.EnvVar[] {
  const port = toolClientPort(model);
  const service = `${model.names.clientService}.${model.namespace}.svc.${model.clusterDomain}`;
  return [
    { name: 'ZK_CHECK_SERVICE', value: `${service}:${port}` },
    { name: 'ZK_CHECK_VOTERS', value: model.members.map((m) => m.fqdn).join(' ') },
    ...(model.observers.length > 0 ? [{ name: 'ZK_CHECK_OBSERVERS', value: model.observers.map((m) => m.fqdn).join(' ') }] : []),
    { name: 'ZK_CHECK_CLIENT_PORT', value: String(port) },
    { name: 'ZK_CHECK_METRICS_PORT', value: String(model.ports.metrics.port) },
    { name: 'ZK_CHECK_QUORUM', value: String(model.quorumSize) },
    { name: 'ZK_CHECK_STEP_SECONDS', value: String(check.stepSeconds) },
    { name: 'ZK_CHECK_ROOT', value: check.znodeRoot },
    // srvr cannot tell a joiner not yet added from a voter: the check reads the leader's membership.
    ...(model.membership === undefined ? [] : [
      { name: 'ZK_CHECK_MEMBERSHIP', value: 'dynamic' },
      { name: 'ZK_CHECK_MEMBERSHIP_SECONDS', value: String(check.membershipSeconds) },
    ]),
    ...(check.saslUser === undefined ? [] : [
      { name: 'ZK_CHECK_SASL_USER', value: check.saslUser },
      { name: 'ZK_CHECK_SASL_PASSWORD_FILE', value: `${model.sasl!.paths.secretDir}/${clientPasswordFile(check.saslUser)}` },
    ]),
  ];
}
