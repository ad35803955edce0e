/**
 * The backup tool's S3 requests are signed as AWS Signature Version 4 wants: the tool's own Java
 * signing (lib/scripts/S3Bucket.java) must reproduce the signatures of the worked examples in
 * AWS's S3 API documentation ("Signature Calculations for the Authorization Header: Transferring
 * Payload in a Single Chunk"), computed with AWS's example credentials. A real S3 server checks the
 * rest in e2e scenario 22.6 to 22.8.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
// AWS's published example credentials and request time, with the bucket of its examples.
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const HOST = 'examplebucket.s3.amazonaws.com';
const DATE = '20130524T000000Z';

interface Example { method: string; path: string; query: string; headers: Record<string, string>; payload: string; secret?: string }

let classes: string;
beforeAll(() => {
  classes = fs.mkdtempSync(path.join(os.tmpdir(), 's3-signing-'));
  execFileSync('javac', ['-d', classes, path.join(ROOT, 'lib', 'scripts', 'S3Bucket.java'),
    ...['SignRequests.java', 'TlsListing.java'].map((file) => path.join(ROOT, 'test', 'support', 'java', file))]);
}, 120_000);
afterAll(() => fs.rmSync(classes, { recursive: true, force: true }));

/** The Authorization headers the tool's signing gives the examples, in order. */
function sign(examples: Example[]): string[] {
  const lines = examples.map((e) => [e.method, e.path, e.query, Object.entries({ host: HOST, 'x-amz-date': DATE, ...e.headers }).map(([k, v]) => `${k}=${v}`).join('|'),
    e.payload, 'us-east-1', KEY_ID, e.secret ?? SECRET].join('\t'));
  return execFileSync('java', ['-cp', classes, 'SignRequests'], { input: `${lines.join('\n')}\n`, encoding: 'utf8' }).trim().split('\n');
}
const signatureOf = (authorization: string) => /Signature=([0-9a-f]{64})$/.exec(authorization)?.[1];

describe('S3 request signing (Signature Version 4) against AWS\'s documented examples', () => {
  test('GET object with a Range header: the documented Authorization header, signed headers sorted', () => {
    const [authorization] = sign([{ method: 'GET', path: '/test.txt', query: '', headers: { range: 'bytes=0-9' }, payload: '' }]);
    expect(authorization).toBe(`AWS4-HMAC-SHA256 Credential=${KEY_ID}/20130524/us-east-1/s3/aws4_request,`
      + 'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  test('PUT object: the payload\'s SHA-256 is signed, and a key with \'$\' is encoded once in the path', () => {
    const [authorization] = sign([{ method: 'PUT', path: '/test$file.text', query: '',
      headers: { date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' }, payload: 'Welcome to Amazon S3.' }]);
    expect(signatureOf(authorization)).toBe('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });

  test('bucket requests: a parameter without a value, and a query sorted by name (the list request\'s form)', () => {
    const [lifecycle, list] = sign([
      { method: 'GET', path: '/', query: 'lifecycle=', headers: {}, payload: '' },
      { method: 'GET', path: '/', query: 'prefix=J&max-keys=2', headers: {}, payload: '' },
    ]);
    expect(signatureOf(lifecycle)).toBe('fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
    expect(signatureOf(list)).toBe('34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });

  test('a different secret, body or date gives a different signature (the server can tell)', () => {
    const base: Example = { method: 'PUT', path: '/zookeeper-x.json', query: '', headers: {}, payload: '{}' };
    const [reference, otherSecret, otherBody, otherDate] = sign([base, { ...base, secret: `${SECRET}x` }, { ...base, payload: '{ }' },
      { ...base, headers: { 'x-amz-date': '20130524T000001Z' } }]);
    expect(new Set([reference, otherSecret, otherBody, otherDate].map(signatureOf)).size).toBe(4);
  });
});

describe('an https endpoint with a private CA (backupS3CaConfigMap)', () => {
  /** A free port on the loopback, for the test's own HTTPS server. */
  const freePort = () => new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });

  test('the tool trusts the CA file it is given, and without it refuses the server\'s certificate', async () => {
    // GIVEN a server whose certificate no public CA signed, for 127.0.0.1
    const keyStore = path.join(classes, 'server.p12');
    const caFile = path.join(classes, 'ca.crt');
    const keytool = (...args: string[]) => execFileSync('keytool', [...args, '-keystore', keyStore, '-storepass', 'test-store', '-storetype', 'PKCS12'], { stdio: 'pipe' });
    keytool('-genkeypair', '-alias', 's3', '-keyalg', 'EC', '-dname', 'CN=s3.test', '-ext', 'san=ip:127.0.0.1', '-validity', '2');
    keytool('-exportcert', '-rfc', '-alias', 's3', '-file', caFile);
    const list = async (ca: string | undefined) => {
      const port = await freePort();
      const env = { ...process.env, ZK_BACKUP_S3_ENDPOINT: `https://127.0.0.1:${port}`, ZK_BACKUP_S3_BUCKET: 'b', ZK_BACKUP_S3_PREFIX: 'p/', ZK_BACKUP_S3_REGION: 'us-east-1',
        ZK_BACKUP_S3_PATH_STYLE: 'true', AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, ...(ca ? { ZK_BACKUP_S3_CA_FILE: ca } : {}) };
      return spawnSync('java', ['-cp', classes, 'TlsListing', String(port), keyStore, 'test-store'], { env, encoding: 'utf8', timeout: 60_000 });
    };
    // WHEN the tool lists the bucket with the CA file, and without it
    const trusted = await list(caFile);
    const untrusted = await list(undefined);
    // THEN only the first gets the listing; the second fails on the certificate, printing no credential
    expect(trusted.stdout.trim()).toBe('[zookeeper-1.json]');
    expect(untrusted.status).not.toBe(0);
    expect(untrusted.stderr).toMatch(/PKIX|certification path|SSLHandshakeException/);
    expect(untrusted.stderr + untrusted.stdout).not.toContain(SECRET);
  }, 120_000);
});
