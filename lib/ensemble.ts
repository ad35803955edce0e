import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { EnsembleModel } from './model/ensemble-model';
import { ZooKeeperSettingsError } from './model/errors';
import { resolveEnsemble } from './model/resolve';
import { settingsObject } from './model/settings-reader';
import { addBackup } from './objects/backup';
import { addCertificate } from './objects/certificate';
import { addClientService } from './objects/client-service';
import { addConfigMaps } from './objects/config-maps';
import { addDashboardConfigMap } from './objects/dashboard';
import { addDisruptionBudget } from './objects/disruption-budget';
import { addMembershipRole } from './objects/membership-role';
import { addMetricsService } from './objects/metrics-service';
import { addMonitor } from './objects/monitor';
import { addNetworkPolicy } from './objects/network-policy';
import { addPeerService } from './objects/peer-service';
import { addPostDeployCheckConfigMap, addPostDeployCheckJob } from './objects/post-deploy-check';
import { addPrometheusRule } from './objects/prometheus-rule';
import { addRoller } from './objects/roller';
import { addServiceAccount } from './objects/service-account';
import { addStatefulSet } from './objects/stateful-set';
import { duplicateObjects } from './objects/unique-objects';
import { renderAlertRules } from './render/alert-rules';
import { ZooKeeperEnsembleProps } from './settings';

/**
 * A ZooKeeper ensemble: ServiceAccount, configuration ConfigMaps, peer, client and metrics
 * Services, a NetworkPolicy, a StatefulSet and a PodDisruptionBudget per member group (the voters,
 * and in cluster mode the observers), a cert-manager Certificate when TLS asks for one, and for
 * monitoring a ServiceMonitor or PodMonitor, a PrometheusRule and a Grafana dashboard ConfigMap;
 * with the leader-last roll, the roll Job of the current template and its RBAC; with dynamic
 * membership, the Role that lets the members read their StatefulSet; with backup on, the backup CronJob (and a restore Job), its ConfigMap and NetworkPolicy.
 * Invalid settings throw a ZooKeeperSettingsError here, before anything is synthesized.
 */
export class ZooKeeperEnsemble extends Construct {
  /** Everything derived from the settings: names, labels, ports, members, paths. */
  public readonly model: EnsembleModel;

  constructor(scope: Construct, id: string, props: ZooKeeperEnsembleProps = {}) {
    super(scope, id);
    this.model = resolveEnsemble(settingsObject(props, this.node.path), Chart.of(this).namespace);

    addServiceAccount(this, this.model);
    addMembershipRole(this, this.model);
    const checksum = addConfigMaps(this, this.model);
    addCertificate(this, this.model);
    addPeerService(this, this.model);
    addClientService(this, this.model);
    addNetworkPolicy(this, this.model);
    const templateHashes = this.model.memberGroups.map((group) => {
      const { templateHash } = addStatefulSet(this, this.model, group, checksum);
      addDisruptionBudget(this, this.model, group);
      return templateHash;
    });
    addMetricsService(this, this.model);
    addMonitor(this, this.model);
    if (this.model.alerts) addPrometheusRule(this, this.model, renderAlertRules(this.model));
    addDashboardConfigMap(this, this.model);
    addPostDeployCheckConfigMap(this, this.model);
    addPostDeployCheckJob(this, this.model);
    addBackup(this, this.model);
    // The voters' group is the first: only their StatefulSet is rolled by the Job.
    addRoller(this, this.model, templateHashes[0]);

    const duplicate = duplicateObjects(this, 'name', `give each ensemble of the namespace '${this.model.namespace}' its own name (or put it in another namespace)`);
    if (duplicate) throw new ZooKeeperSettingsError(this.model.name, [duplicate]);
  }
}
