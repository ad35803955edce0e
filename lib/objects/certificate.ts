import { Construct } from 'constructs';
import {
  Certificate, CertificateSpecPrivateKeyAlgorithm, CertificateSpecPrivateKeyRotationPolicy, CertificateSpecUsages,
} from '../../imports/cert-manager.io';
import { EnsembleModel } from '../model/ensemble-model';
import { objectMeta } from './metadata';

/**
 * The members' certificate, issued and renewed by cert-manager, or undefined when TLS is off or
 * uses an existing Secret. One certificate serves every member: it names each member's peer name
 * and the Services (see the model's dnsNames). Every member is a TLS server and, towards the other
 * members, a TLS client, so both extended key usages are requested. cert-manager writes the
 * PKCS#12 stores ZooKeeper reads into the Secret, encrypted with the password Secret's key. It is
 * applied with the configuration, before the pods that mount its Secret.
 */
export function addCertificate(scope: Construct, model: EnsembleModel): Certificate | undefined {
  const certificate = model.tls?.certificate;
  if (model.tls === undefined || certificate === undefined) return undefined;
  return new Certificate(scope, 'Certificate', {
    metadata: objectMeta(model, certificate.name, 'configuration'),
    spec: {
      secretName: model.tls.secretName,
      secretTemplate: { labels: { ...model.labels.common } },
      issuerRef: { ...certificate.issuer },
      dnsNames: [...certificate.dnsNames],
      usages: [
        CertificateSpecUsages.DIGITAL_SIGNATURE,
        CertificateSpecUsages.KEY_ENCIPHERMENT,
        CertificateSpecUsages.SERVER_AUTH,
        CertificateSpecUsages.CLIENT_AUTH,
      ],
      // A renewal brings a new key, so a leaked key is only good until the next renewal.
      privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.RSA, size: 2048, rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS },
      keystores: { pkcs12: { create: true, passwordSecretRef: { ...model.tls.passwordSecret } } },
    },
  });
}
