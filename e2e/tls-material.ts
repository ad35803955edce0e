// Certificates for the TLS scenario, made at test time with openssl and keytool (nothing secret is
// stored in the repository). The Secret they go into has what cert-manager writes for a
// Certificate with `keystores.pkcs12`: keystore.p12 (key and chain) and truststore.p12 (the CA),
// encrypted with one password from another Secret.
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export interface Ca {
  readonly name: string;
  readonly cert: string;
  readonly key: string;
}

export interface Issued {
  readonly cert: string;
  readonly key: string;
  /** Hex serial number, as `openssl x509 -serial` prints it. */
  readonly serial: string;
}

const run = (command: string, args: string[]) => execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).toString();

export class TlsMaterial {
  private serial = 0x1000 + Math.floor(Math.random() * 0x1000);

  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  public file(name: string): string {
    return path.join(this.dir, name);
  }

  /** A self-signed CA. */
  public ca(name: string): Ca {
    const key = this.file(`${name}.key`);
    const cert = this.file(`${name}.crt`);
    run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return { name, cert, key };
  }

  /** A certificate for TLS servers and clients with these DNS names (IPv4 addresses as IP names), signed by `ca`. */
  public issue(ca: Ca, name: string, dnsNames: readonly string[]): Issued {
    const key = this.file(`${name}.key`);
    const csr = this.file(`${name}.csr`);
    const cert = this.file(`${name}.crt`);
    const ext = this.file(`${name}.ext`);
    fs.writeFileSync(ext, [
      `subjectAltName=${dnsNames.map((n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}`,
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      '',
    ].join('\n'));
    run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
    const serial = (this.serial++).toString(16).toUpperCase();
    run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${serial}`, '-days', '2', '-extfile', ext, '-out', cert]);
    return { cert, key, serial };
  }

  /** A random keystore password. */
  public password(): Buffer {
    return Buffer.from(randomBytes(18).toString('base64url'));
  }

  /**
   * The Secret data cert-manager would write: keystore.p12 (the key, its certificate and `ca`, its
   * issuer) and truststore.p12 (`trusted`, normally the same CA), both under `password`.
   */
  public secretData(ca: Ca, issued: Issued, password: Buffer, name: string, trusted: Ca = ca): Record<string, Buffer> {
    const passwordFile = this.file(`${name}.password`);
    fs.writeFileSync(passwordFile, password, { mode: 0o600 });
    const keystore = this.file(`${name}-keystore.p12`);
    const truststore = this.file(`${name}-truststore.p12`);
    run('openssl', ['pkcs12', '-export', '-inkey', issued.key, '-in', issued.cert, '-certfile', ca.cert, '-name', 'member',
      '-passout', `file:${passwordFile}`, '-out', keystore]);
    // keytool marks the CA as a trusted entry, which Java needs (an openssl-made PKCS#12 with only a
    // certificate is not read as a truststore); cert-manager's truststore.p12 carries the same mark.
    fs.rmSync(truststore, { force: true });
    run('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', trusted.cert, '-keystore', truststore, '-storetype', 'PKCS12',
      '-storepass:file', passwordFile]);
    return { 'keystore.p12': fs.readFileSync(keystore), 'truststore.p12': fs.readFileSync(truststore) };
  }
}
