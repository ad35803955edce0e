import { createRequire } from 'module';
import type * as Yaml from 'yaml';

/**
 * The yaml library for reading environment files: the copy cdk8s bundles when it is the same
 * version as this package's own dependency. cdk8s loads that copy anyway to write the manifests,
 * and loading a second copy of the same 72 modules cost a tenth of a synth's run time.
 */
function sharedYaml(): typeof Yaml {
  try {
    const cdk8sRequire = createRequire(require.resolve('cdk8s'));
    if (cdk8sRequire('yaml/package.json').version === require('yaml/package.json').version) return cdk8sRequire('yaml');
  } catch {
    // cdk8s without a bundled yaml: this package's own dependency below
  }
  return require('yaml');
}

export const { isMap, isScalar, isSeq, LineCounter, parseDocument } = sharedYaml();
export type { Document, Node, Pair } from 'yaml';
