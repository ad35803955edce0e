/**
 * A scanner for key, certificate and password material in text and files. ConfigMaps and the
 * committed manifests are readable by anyone who can read the namespace or the repository, so
 * nothing here may hold a secret, not even a test one.
 *
 * Allowed on purpose (each tested in test/secret-material.test.ts):
 * - a key ending in `Path` or `File` whose value is an absolute path: ZooKeeper 3.8 reads
 *   keystore passwords from `ssl.keyStore.passwordPath` and friends, so the configuration holds
 *   only where the secret is mounted (from a Secret), never the secret itself;
 * - a key ending in `Name`, `Names`, `Ref` or `Secrets` (`secretName`, `secretKeyRef`,
 *   `imagePullSecrets`): Kubernetes references to a Secret by name;
 * - an assignment with an empty value (`password=`), which carries nothing.
 */

export interface Finding {
  readonly rule: string;
  /** 1-based line of the match in the scanned text (1 for magic bytes). */
  readonly line: number;
  /** The start of the match, cut short so a test report never repeats a whole secret. */
  readonly excerpt: string;
}

interface TextRule {
  readonly rule: string;
  readonly pattern: RegExp;
  /** Whether a match is allowed after all (see the header); default: never. */
  readonly allowed?: (match: RegExpMatchArray) => boolean;
}

const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');
const NOT_BASE64_BEFORE = '(?<![A-Za-z0-9+/])';
/** JKS and JCEKS keystores start with these 4 bytes; as base64 their first 5 characters are fixed. */
const KEYSTORE_MAGIC = { JKS: [0xfe, 0xed, 0xfe, 0xed], JCEKS: [0xce, 0xce, 0xce, 0xce] };

const SECRET_WORD = '(?:password|passwd|passphrase|secret)';
const REFERENCE_KEY = /(Name|Names|Ref|Secrets)$/;
const LOCATION_KEY = /(Path|File)$/i;

/**
 * A value a script fills in at run time: a shell variable (`$digest`, `${password}`) or a printf
 * conversion (`%s`). The pod's scripts build credential files from mounted Secrets this way.
 */
const RUNTIME_PLACEHOLDER = /^(\$\{?\w+\}?|%s)$/;

function assignmentAllowed(key: string, quotedValue: string): boolean {
  const value = quotedValue.replace(/^["']|["']$/g, '');
  if (value === '' || RUNTIME_PLACEHOLDER.test(value)) return true;
  if (REFERENCE_KEY.test(key)) return true;
  return LOCATION_KEY.test(key) && /^\/[^\s"']*$/.test(value);
}

const TEXT_RULES: readonly TextRule[] = [
  // PEM armour of any kind: private keys (PKCS#1/#8, EC, OpenSSH, encrypted), certificates, CSRs, PGP.
  { rule: 'PEM block', pattern: /-----BEGIN [A-Z0-9 ]+-----/g },
  // A DER SEQUENCE with a 1- or 2-byte length (0x30 0x81 / 0x30 0x82) in base64 starts MIG..MIL:
  // the opening of every key, certificate and PKCS#12 store encoded without PEM armour.
  { rule: 'base64 DER key or certificate', pattern: new RegExp(`${NOT_BASE64_BEFORE}MI[G-L][A-Za-z0-9+/]{60,}`, 'g') },
  {
    rule: 'base64 Java keystore (JKS/JCEKS)',
    pattern: new RegExp(`${NOT_BASE64_BEFORE}(${[KEYSTORE_MAGIC.JKS, KEYSTORE_MAGIC.JCEKS].map((m) => b64(m).slice(0, 5).replace(/[+/]/g, '\\$&')).join('|')})`, 'g'),
  },
  {
    rule: 'password or secret assignment',
    // Stays on one line: a key at the end of a line (`imagePullSecrets:` before a list) has no value.
    pattern: new RegExp(`(["']?)([\\w.\\-]*${SECRET_WORD}[\\w.\\-]*)\\1[ \\t]*[:=][ \\t]*("[^"\\n]*"|'[^'\\n]*'|[^\\s,;}]*)`, 'gi'),
    allowed: (m) => assignmentAllowed(m[2], m[3]),
  },
  // JAAS DigestLoginModule server sections declare users as user_<name>="<password>".
  { rule: 'JAAS user credential', pattern: /\buser_[\w.-]+\s*=\s*"[^"]+"/g },
  // ZooKeeper's digest scheme: <user>:<base64 SHA-1> (28 characters), in superDigest or an ACL.
  { rule: 'ZooKeeper digest credential', pattern: /\b[\w.-]+:[A-Za-z0-9+/]{27}=/g },
  {
    rule: 'ZooKeeper superDigest',
    pattern: /superDigest\s*[=:]\s*(\S+)/gi,
    // The value ends at a closing quote or a shell statement's `;`.
    allowed: (m) => RUNTIME_PLACEHOLDER.test(m[1].replace(/^["']|["';]+$/g, '')),
  },
  { rule: 'credentials in a URL', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/gi },
  { rule: 'AWS access key id', pattern: /\b(AKIA|ASIA)[A-Z2-7]{16}\b/g },
  { rule: 'GitHub token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36}\b/g },
  { rule: 'Slack token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g },
];

/** The name of every rule, text and binary, so tests can show each one is able to fire. */
export function secretMaterialRules(): string[] {
  return [...TEXT_RULES.map((r) => r.rule), ...BINARY_MAGIC.map((m) => m.rule)];
}

/** Every finding in `text`. */
export function findSecretMaterial(text: string): Finding[] {
  const lineAt = (index: number) => text.slice(0, index).split('\n').length;
  return TEXT_RULES.flatMap(({ rule, pattern, allowed }) => [...text.matchAll(pattern)]
    .filter((m) => !allowed?.(m))
    .map((m) => ({ rule, line: lineAt(m.index ?? 0), excerpt: m[0].slice(0, 24) })));
}

const BINARY_MAGIC: readonly { readonly rule: string; readonly bytes: readonly number[] }[] = [
  { rule: 'Java keystore (JKS)', bytes: KEYSTORE_MAGIC.JKS },
  { rule: 'Java keystore (JCEKS)', bytes: KEYSTORE_MAGIC.JCEKS },
  // PKCS#12 stores, DER keys and certificates: a SEQUENCE with a long-form length.
  { rule: 'DER key, certificate or PKCS#12 store', bytes: [0x30, 0x82] },
];

/** Every finding in a file's bytes: keystore and DER magic at its start, then its text. */
export function findSecretMaterialInBytes(bytes: Buffer): Finding[] {
  const magic = BINARY_MAGIC.filter((m) => m.bytes.every((b, i) => bytes[i] === b))
    .map(({ rule }) => ({ rule, line: 1, excerpt: bytes.subarray(0, 4).toString('hex') }));
  return [...magic, ...findSecretMaterial(bytes.toString('latin1'))];
}

/** Every finding in a ConfigMap, by file: its `data` as text, its `binaryData` decoded. */
export function findSecretMaterialInConfigMap(configMap: any): { readonly file: string; readonly finding: Finding }[] {
  return [
    ...Object.entries<string>(configMap.data ?? {}).flatMap(([file, text]) => findSecretMaterial(text).map((finding) => ({ file, finding }))),
    ...Object.entries<string>(configMap.binaryData ?? {})
      .flatMap(([file, base64]) => findSecretMaterialInBytes(Buffer.from(base64, 'base64')).map((finding) => ({ file, finding }))),
  ];
}
