// The Kubernetes 1.28 L1 classes (KubeStatefulSet, Quantity, IntOrString, ...) that cdk8s-plus-28
// generates and ships, from their own module: the package's index would also load every L2
// construct, which this library never uses, and that costs a tenth of a synth's run time.
// cdk8s-plus-28 2.5.6 is the last 28.x release, so this path does not move.
export * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
