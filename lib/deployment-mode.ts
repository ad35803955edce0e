/**
 * A preset of defaults for the size and footprint of an ensemble. Every setting given explicitly
 * wins over its preset value; docs/deployment-modes.md lists the values.
 */
export enum DeploymentMode {
  /**
   * One server with small resources and no disruption budget, for development: it starts and
   * serves alone, without a quorum. `replicas` must stay 1.
   */
  STANDALONE = 'standalone',
  /** Three voting members with production resources: any one member may fail. */
  HIGHLY_AVAILABLE = 'highly-available',
  /**
   * Five or more voting members with production resources (any two may fail), and the only mode
   * that runs observers.
   */
  CLUSTER = 'cluster',
}
