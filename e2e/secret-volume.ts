// How the kubelet writes a Secret (or ConfigMap) volume, for the harness and for the tests of the
// TLS sync script: files go into a new hidden directory, the `..data` symlink is switched to it in
// one rename, each key's visible file is a symlink through `..data`, and the previous directory is
// removed. An update therefore changes no visible file in place.
import * as fs from 'fs';
import * as path from 'path';

export interface SecretVolumeOwner {
  /** Group of the files (the pod's fsGroup); the owner is root. */
  readonly gid?: number;
  /** Mode of the files (the volume's defaultMode). */
  readonly mode: number;
}

/** Writes (or updates) a Secret volume at `dir` with `files` (visible name -> content). */
export function writeSecretVolume(dir: string, files: Record<string, Buffer>, owner: SecretVolumeOwner): void {
  const stamp = `..${new Date().toISOString().replace(/[-:TZ]/g, '_')}${process.hrtime.bigint()}`;
  fs.mkdirSync(path.join(dir, stamp), { mode: 0o755 });
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, stamp, name);
    fs.writeFileSync(file, content);
    if (owner.gid !== undefined) fs.chownSync(file, 0, owner.gid);
    fs.chmodSync(file, owner.mode);
  }
  const data = path.join(dir, '..data');
  const previous = fs.existsSync(data) ? fs.readlinkSync(data) : undefined;
  fs.symlinkSync(stamp, path.join(dir, '..data_tmp'));
  fs.renameSync(path.join(dir, '..data_tmp'), data);
  for (const name of Object.keys(files)) {
    if (!fs.existsSync(path.join(dir, name))) fs.symlinkSync(path.join('..data', name), path.join(dir, name));
  }
  if (previous) fs.rmSync(path.join(dir, previous), { recursive: true, force: true });
}
