import { EnsembleModel } from '../model/ensemble-model';

/**
 * Security properties java reads on top of the JDK's own java.security (through
 * `-Djava.security.properties`): the DNS cache times, which only take effect as security
 * properties because the JDK's file already sets one of them.
 */
export function renderJvmSecurity(model: EnsembleModel): string {
  const { resolved, unresolved } = model.jvm.dnsCacheSeconds;
  return [
    '# Read by java through -Djava.security.properties, on top of the JDK\'s java.security.',
    '# Recreated peers keep their names but not their addresses: forget lookups quickly.',
    `networkaddress.cache.ttl=${resolved}`,
    `networkaddress.cache.negative.ttl=${unresolved}`,
    '',
  ].join('\n');
}
