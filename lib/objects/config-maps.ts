import { k8s } from '../k8s';
import { Construct } from 'constructs';
import { EnsembleModel } from '../model/ensemble-model';
import { configChecksum } from '../render/checksum';
import { renderJvmOptions } from '../render/jvm-options';
import { renderJvmSecurity } from '../render/jvm-security';
import { memberToolLoggingPath, renderToolLogging } from '../render/java-tool';
import { renderLoggingConfig } from '../render/logging';
import { loadScripts } from '../render/scripts';
import { renderSupervisordConf, watchesRejoin } from '../render/supervisord-conf';
import { renderBootstrapList, renderZooCfg } from '../render/zoo-cfg';
import { objectMeta } from './metadata';

/** What the configuration ConfigMaps hold, by ConfigMap. */
export interface ConfigFiles {
  readonly zookeeper: Record<string, string>;
  readonly logging: Record<string, string>;
  readonly supervisord: Record<string, string>;
  readonly scripts: Record<string, string>;
}

/** Renders every file the pod mounts from ConfigMaps. */
export function renderConfigFiles(model: EnsembleModel): ConfigFiles {
  const fileName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
  return {
    zookeeper: {
      ...Object.fromEntries(model.memberGroups.map((group) => [fileName(group.zooCfgPath), renderZooCfg(model, group)])),
      [fileName(model.paths.jvmOptions)]: renderJvmOptions(model),
      [fileName(model.paths.jvmSecurity)]: renderJvmSecurity(model),
      ...(model.membership === undefined ? {} : { [model.membership.bootstrapKey]: renderBootstrapList(model.membership) }),
    },
    logging: {
      [fileName(model.paths.loggingConfig)]: renderLoggingConfig(model),
      // For zk-cli.sh: a client JVM in the member that prints only its own session, not the library's INFO lines.
      [fileName(memberToolLoggingPath(model))]: renderToolLogging(model.image.logging).content,
    },
    supervisord: { [fileName(model.paths.supervisordConf)]: renderSupervisordConf(model) },
    scripts: loadScripts({ exporter: model.monitoring.exporter === 'mntr-exporter', tls: model.tls !== undefined, sasl: model.sasl !== undefined, rejoinWatch: watchesRejoin(model),
      dynamicMembership: model.membership !== undefined }),
  };
}

/**
 * The four configuration ConfigMaps (zoo.cfg and JVM options, logging, supervisord, scripts).
 * Returns the checksum of their content for the pod template.
 */
export function addConfigMaps(scope: Construct, model: EnsembleModel): string {
  const files = renderConfigFiles(model);
  const roles = ['zookeeper', 'logging', 'supervisord', 'scripts'] as const;
  const checksums: Record<string, string> = {};
  for (const role of roles) {
    new k8s.KubeConfigMap(scope, `ConfigMap-${role}`, {
      metadata: objectMeta(model, model.names.configMaps[role], 'configuration'),
      data: files[role],
    });
    for (const [file, content] of Object.entries(files[role])) checksums[`${role}/${file}`] = content;
  }
  return configChecksum(checksums);
}
