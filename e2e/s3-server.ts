// A real S3-compatible object store for the scenarios of the backup's S3 target (22.6 to 22.9):
// SeaweedFS (`weed server -s3`), built by e2e/install-seaweedfs.sh and run in a container on the
// e2e network under a Service-like name, with S3 authentication on (one identity), so a request
// signed with a wrong secret is refused as on AWS. The harness reads what the bucket holds through
// SeaweedFS's filer HTTP API, from the host, not through the S3 client under test. The container
// keeps its data in a tmpfs: stopping it removes the data.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { CLIENT_IMAGE } from './client';
import { podman, podmanRaw, waitFor } from './podman';

const S3_PORT = 8333;
const FILER_PORT = 8888;
const MASTER_PORT = 9333;

export interface S3Credentials { readonly accessKeyId: string; readonly secretAccessKey: string }

export class SeaweedS3 {
  public readonly container = 'zk-e2e-seaweedfs';
  /** The name the backup pods reach it by, as they would an in-cluster Service. */
  public readonly host = 'seaweedfs.storage.svc.cluster.local';
  public readonly endpoint = `http://${this.host}:${S3_PORT}`;
  private ip = '';

  constructor(private readonly network: string, private readonly workdir: string, public readonly credentials: S3Credentials) {}

  /** Builds (or finds) the binary, starts the server with auth on and waits until S3 answers. */
  public async start(): Promise<{ buildOrFindMs: number; startMs: number }> {
    const built = Date.now();
    const install = path.join(__dirname, 'install-seaweedfs.sh');
    const weed = (await promisify(execFile)('bash', [install], { timeout: 60 * 60_000, maxBuffer: 1 << 24 })).stdout.trim();
    const buildOrFindMs = Date.now() - built;
    const config = path.join(this.workdir, 'seaweedfs-s3.json');
    fs.mkdirSync(this.workdir, { recursive: true });
    fs.writeFileSync(config, JSON.stringify({
      identities: [{ name: 'zookeeper-backup', credentials: [{ accessKey: this.credentials.accessKeyId, secretKey: this.credentials.secretAccessKey }],
        actions: ['Read', 'Write', 'List', 'Tagging', 'Admin'] }],
    }), { mode: 0o644 });
    await podmanRaw(['rm', '--force', this.container], 30_000);
    const started = Date.now();
    await podman(['run', '--detach', '--name', this.container, '--network', `${this.network}:alias=${this.host}`,
      '--tmpfs', '/data:size=1g', '-v', `${weed}:/usr/local/bin/weed:ro`, '-v', `${config}:/etc/seaweedfs/s3.json:ro`,
      '--entrypoint', '/usr/local/bin/weed', CLIENT_IMAGE,
      'server', '-dir=/data', '-ip=127.0.0.1', '-ip.bind=0.0.0.0', '-master.volumeSizeLimitMB=64', '-volume.max=16',
      '-filer', `-filer.port=${FILER_PORT}`, '-s3', `-s3.port=${S3_PORT}`, '-s3.config=/etc/seaweedfs/s3.json']);
    this.ip = (await podman(['inspect', '--format', `{{(index .NetworkSettings.Networks "${this.network}").IPAddress}}`, this.container])).trim();
    // S3 answers an anonymous request with 403 once it is up with the identities loaded.
    await waitFor('SeaweedFS S3 to answer', 120_000, 500, async () => {
      const status = await fetch(`http://${this.ip}:${S3_PORT}/`).then((r) => r.status).catch(() => 0);
      return status === 403 || undefined;
    });
    return { buildOrFindMs, startMs: Date.now() - started };
  }

  public async createBucket(bucket: string): Promise<void> {
    await podman(['exec', this.container, 'sh', '-c', `echo 's3.bucket.create -name ${bucket}' | weed shell -master=127.0.0.1:${MASTER_PORT}`], 60_000);
    await waitFor(`bucket ${bucket}`, 30_000, 500, async () => (await this.keys(bucket, '').then(() => true).catch(() => false)) || undefined);
  }

  /** The status of an unsigned S3 request listing the bucket: 403 when authentication is on. */
  public async anonymousListStatus(bucket: string): Promise<number> {
    return (await fetch(`http://${this.ip}:${S3_PORT}/${bucket}?list-type=2`)).status;
  }

  /** Every object key under `prefix` with its size, read from the filer (recursively), sorted. */
  public async keys(bucket: string, prefix: string): Promise<{ key: string; size: number }[]> {
    const found: { key: string; size: number }[] = [];
    const walk = async (dir: string) => {
      const response = await fetch(`http://${this.ip}:${FILER_PORT}/buckets/${bucket}/${dir}?limit=10000`, { headers: { Accept: 'application/json' } });
      if (response.status === 404) return;
      if (!response.ok) throw new Error(`filer listing of ${bucket}/${dir}: ${response.status}`);
      const listing = await response.json() as { Entries?: { FullPath: string; FileSize: number; Mode: number }[] | null };
      for (const entry of listing.Entries ?? []) {
        const key = entry.FullPath.slice(`/buckets/${bucket}/`.length);
        // The filer marks directories with the mode's directory bit (Go's os.ModeDir).
        if ((entry.Mode & 0x80000000) !== 0) await walk(`${key}/`);
        else found.push({ key, size: entry.FileSize });
      }
    };
    await walk(prefix);
    return found.sort((a, b) => a.key.localeCompare(b.key));
  }

  public async read(bucket: string, key: string): Promise<Buffer> {
    const response = await fetch(`http://${this.ip}:${FILER_PORT}/buckets/${bucket}/${key}`);
    if (!response.ok) throw new Error(`filer read of ${bucket}/${key}: ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  }

  /** Writes an object through the filer (not S3), as another user of the bucket would. */
  public async write(bucket: string, key: string, content: Buffer): Promise<void> {
    const form = new FormData();
    form.append('file', new Blob([content]), path.basename(key));
    const response = await fetch(`http://${this.ip}:${FILER_PORT}/buckets/${bucket}/${key}`, { method: 'POST', body: form });
    if (!response.ok) throw new Error(`filer write of ${bucket}/${key}: ${response.status}`);
  }

  /** Stops the server; its data was in the container's tmpfs and goes with it. Never throws. */
  public async stop(): Promise<void> {
    await podmanRaw(['rm', '--force', '--time', '5', this.container], 60_000).catch(() => undefined);
  }
}
