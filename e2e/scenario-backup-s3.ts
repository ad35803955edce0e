// Scenarios 22.6 to 22.9: the backup and restore with S3-compatible object storage as the target,
// against a real SeaweedFS with authentication on (e2e/s3-server.ts). The production environment
// file is edited as a user would (the claim target replaced by the bucket's settings), then its
// CronJob and restore Job are played as in 22.1 to 22.5. What the bucket holds is read by the
// harness through SeaweedFS's filer, not through the tool's S3 client.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { readEnvironmentFile, ZooKeeperChartProps } from '../lib';
import { parseDocument } from '../lib/environments/yaml';
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { find } from './expand';
import { PlayedEnvironment, prodEnvironment } from './flavours';
import { SeaweedS3 } from './s3-server';
import { BackupDrill, expect, JobRun, manifestOf, seconds, TreeState } from './scenario-backup';

const BUCKET = 'zk-backups';
const PREFIX = 'prod/';
const SECRET = 'zookeeper-backup-s3';

export class S3BackupDrill extends BackupDrill {
  private atBucketBackup?: { state: TreeState; manifest: any; acked: number[] };

  constructor(cluster: PodmanCluster, client: ZooKeeperClient, private readonly server: SeaweedS3, workdir: string, production: PlayedEnvironment = prodEnvironment()) {
    super(cluster, client, production, editedEnvironment(production, workdir, server.endpoint));
    this.secrets.set(SECRET, { AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey });
  }

  /** 22.6: the CronJob's pod backs up to the bucket; the objects there are what the manifest says. */
  public async backUpToBucket(): Promise<string> {
    await this.server.createBucket(BUCKET);
    const anonymous = await this.server.anonymousListStatus(BUCKET);
    expect(anonymous === 403, `SeaweedFS answered an unsigned request with ${anonymous}: authentication is not on`);
    const { state, acked, run, manifest } = await this.treeAndBackup();
    const keys = await this.server.keys(BUCKET, PREFIX);
    expect(JSON.stringify(keys.map((k) => k.key)) === JSON.stringify([`${PREFIX}${manifest.name}.json`, `${PREFIX}${manifest.file}`]),
      `the bucket holds ${keys.map((k) => k.key).join(', ')}, not the backup's dump and manifest alone`);
    // Checked here too, from the bucket's own storage: the dump is what the manifest says.
    const dump = await this.server.read(BUCKET, `${PREFIX}${manifest.file}`);
    const stored = JSON.parse((await this.server.read(BUCKET, `${PREFIX}${manifest.name}.json`)).toString('utf8'));
    expect(crypto.createHash('sha256').update(dump).digest('hex') === manifest.sha256 && stored.sha256 === manifest.sha256 && dump.length === manifest.bytes,
      'the dump in the bucket does not match its manifest');
    expect(/verified \S+ in s3:\/\//.test(run.log), `the tool did not verify the backup from the bucket:\n${run.log}`);
    this.atBucketBackup = { state, manifest, acked };
    return `unsigned request refused (403); ${state.count} znodes: backup ${manifest.name} at zxid ${manifest.zxid} (exact) in s3://${BUCKET}/${PREFIX}, `
      + `${manifest.bytes} bytes, read back and verified by the tool, sha256 checked by the harness from the filer; the tool took ${manifest.durationMs} ms, the pod ${seconds(run.ms)}`;
  }

  /** 22.7: more writes, every volume destroyed, the restore Job downloads the backup: the tree is the backup point's. */
  public async restoreFromBucket(): Promise<string> {
    expect(this.atBucketBackup !== undefined, '22.6 made no backup');
    const { state, manifest, acked } = this.atBucketBackup!;
    const job = await this.writeMoreAndLoseEveryVolume(state, manifest.name);
    // A damaged object is refused: the tool checks what it downloads, not what it uploaded.
    const key = `${PREFIX}${manifest.file}`;
    const intact = await this.server.read(BUCKET, key);
    const damaged = Buffer.from(intact);
    damaged[damaged.length >> 1] ^= 0xff;
    await this.server.write(BUCKET, key, damaged);
    const refused = await this.runPod(job, 'restore');
    await this.server.write(BUCKET, key, intact);
    expect(refused.code !== 0 && /FAILED: backup \S+: checksum differs from its manifest/.test(refused.log), `the restore of a damaged object did not fail clearly (exit ${refused.code}):\n${refused.log}`);
    expect((await this.state()).count === 1, 'the refused restore wrote into the ensemble');
    const run = await this.restoreAndCompare(job, state, acked);
    const took = /in (\d+) ms; the ensemble equals the backup/.exec(run.log)?.[1];
    return `100 writes after the backup; all 3 volumes destroyed; the dump damaged in the bucket refused, nothing written; restore Job from s3: ${state.count} znodes in ${took} ms `
      + `(pod ${seconds(run.ms)}), tree equal to the backup point, all ${acked.length} tracked writes present, the later ones gone; run again, nothing changed`;
  }

  /** 22.8: a wrong secret key is refused by the server; the run fails saying so, prints no credential, leaves the bucket as it was. */
  public async wrongCredentials(): Promise<string> {
    const before = await this.server.keys(BUCKET, '');
    const right = this.secrets.get(SECRET)!;
    const wrongSecret = crypto.randomBytes(30).toString('base64');
    this.secrets.set(SECRET, { ...right, AWS_SECRET_ACCESS_KEY: wrongSecret });
    let run: JobRun;
    try {
      run = await this.runPod(this.cronJob, 'wrong-key');
    } finally {
      this.secrets.set(SECRET, right);
    }
    const why = /FAILED: (.*)/.exec(run.log)?.[1] ?? '';
    expect(run.code !== 0 && /answered 403 SignatureDoesNotMatch: the credentials in the backup's S3 Secret were refused/.test(why),
      `the backup with a wrong secret did not fail clearly (exit ${run.code}):\n${run.log}`);
    for (const credential of [wrongSecret, right.AWS_SECRET_ACCESS_KEY, right.AWS_ACCESS_KEY_ID]) {
      expect(!run.log.includes(credential), 'the failed run printed a credential');
    }
    const after = await this.server.keys(BUCKET, '');
    expect(JSON.stringify(after) === JSON.stringify(before), `the failed run changed the bucket: ${after.map((k) => k.key).join(', ')}`);
    return `exit ${run.code}, "${why.slice(0, 140)}", no credential in the log, the bucket unchanged (${after.length} objects), in ${seconds(run.ms)}`;
  }

  /**
   * 22.9: retention in the bucket. With backupRetention 1 the prefix keeps the new backup alone; a
   * dump left without a manifest goes too, and an object of someone else under the prefix stays.
   */
  public async retentionInBucket(): Promise<string> {
    const foreign = `${PREFIX}README.txt`;
    const leftover = `${PREFIX}zookeeper-20200101T000000Z-1.zkdump.gz`;
    await this.server.write(BUCKET, foreign, Buffer.from('not a backup\n'));
    await this.server.write(BUCKET, leftover, Buffer.from('a dump whose run was killed'));
    const before = (await this.server.keys(BUCKET, PREFIX)).filter((k) => k.key.endsWith('.json')).length;
    const [cronJob] = find(this.synthesize({ backupRetention: 1 }), 'CronJob');
    const run = await this.runPod(cronJob, 'retention');
    expect(run.code === 0, `the backup pod exited ${run.code}:\n${run.log}`);
    const { name } = manifestOf(run);
    const after = (await this.server.keys(BUCKET, PREFIX)).map((k) => k.key);
    const expected = [foreign, `${PREFIX}${name}.json`, `${PREFIX}${name}.zkdump.gz`].sort((a, b) => a.localeCompare(b));
    expect(JSON.stringify(after) === JSON.stringify(expected), `after the run the prefix holds ${after.join(', ')}, not ${expected.join(', ')}`);
    const removed = (run.log.match(/retention: removed/g) ?? []).length;
    expect(removed === before, `the run logged ${removed} removals, ${before} backups were there`);
    expect(/removed zookeeper-20200101T000000Z-1\.zkdump\.gz, left without a manifest/.test(run.log), `the leftover dump's removal was not logged:\n${run.log}`);
    return `backupRetention 1: the new backup ${name} kept, ${before} older one(s) and a dump without manifest removed, as logged; ${foreign} untouched`;
  }
}

/**
 * The production environment file as a user would edit it for object storage: the bucket's settings
 * in place of a claim. Read back through the library's own environment-file reader.
 */
function editedEnvironment(production: PlayedEnvironment, workdir: string, endpoint: string): { label: string; settings: ZooKeeperChartProps } {
  const name = /^dist\/(.+)$/.exec(production.label)?.[1];
  const file = name === undefined ? undefined : path.join(__dirname, '..', 'environments', `${name}.yaml`);
  const document = parseDocument(file !== undefined && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
  if (file === undefined || !fs.existsSync(file)) {
    for (const [key, value] of Object.entries(production.settings)) document.set(key, value);
  }
  document.delete('backupClaimName');
  for (const [key, value] of Object.entries({ backup: true, backupS3Endpoint: endpoint, backupS3Bucket: BUCKET, backupS3Prefix: PREFIX, backupS3CredentialsSecret: SECRET })) {
    document.set(key, value);
  }
  const edited = path.join(workdir, 'environments-s3', `${name ?? 'prod'}.yaml`);
  fs.mkdirSync(path.dirname(edited), { recursive: true });
  fs.writeFileSync(edited, document.toString());
  return { label: `${production.label}'s environment file with the backup in s3://${BUCKET}/${PREFIX}`, settings: readEnvironmentFile(edited).settings };
}
