import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { ZooKeeperEnsemble } from './ensemble';
import { ZooKeeperSettingsError } from './model/errors';
import { settingsObject } from './model/settings-reader';
import { addNamespace } from './objects/namespace';
import { duplicateObjects } from './objects/unique-objects';
import { ZooKeeperEnsembleProps } from './settings';

export interface ZooKeeperChartProps extends ZooKeeperEnsembleProps {
  /**
   * Also create the Namespace object (with the restricted Pod Security Standard enforced).
   * @default true
   */
  readonly createNamespace?: boolean;
}

/** A chart holding one ensemble and, by default, its Namespace. */
export class ZooKeeperChart extends Chart {
  public readonly ensemble: ZooKeeperEnsemble;

  constructor(scope: Construct, id: string, props: ZooKeeperChartProps = {}) {
    super(scope, id);
    const { createNamespace, ...ensembleProps } = settingsObject(props, id) as ZooKeeperChartProps;
    if (createNamespace !== undefined && typeof createNamespace !== 'boolean') {
      throw new ZooKeeperSettingsError(id, [{ setting: 'createNamespace', message: `must be true or false (got ${JSON.stringify(createNamespace)})` }]);
    }
    this.ensemble = new ZooKeeperEnsemble(this, 'Ensemble', { namespace: 'zookeeper', ...ensembleProps });
    if (createNamespace ?? true) {
      const { namespace, labels } = this.ensemble.model;
      const ns = addNamespace(this, namespace, { 'app.kubernetes.io/managed-by': labels.common['app.kubernetes.io/managed-by'] });
      const duplicate = duplicateObjects(ns, 'createNamespace', `set createNamespace: false on all charts of the namespace '${namespace}' but one`);
      if (duplicate) throw new ZooKeeperSettingsError(id, [duplicate]);
      // cdk8s writes objects in dependency order: the Namespace must come first for `kubectl apply -f`.
      this.ensemble.node.addDependency(ns);
    }
  }
}
