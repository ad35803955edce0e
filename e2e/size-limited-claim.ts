// A claim of a fixed size, for the full-disk scenario (28): on Kubernetes a claim's size is the
// size of the file system the provisioner formats for it, and the pod gets ENOSPC when that is
// full. A plain podman volume is a folder on the host's disk, limited by nothing. Here the claim is
// an ext4 file system in a file, loop-mounted by podman whenever a container uses the volume; it
// keeps its data when the container restarts, as a persistent volume does. mkfs's defaults are
// kept (5 % reserved for root, as most CSI drivers format), so ZooKeeper, which does not run as
// root, meets ENOSPC before `df` says 100 %.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { podman } from './podman';

/** Creates the podman volume `name` on a new ext4 file system of `sizeMiB` in `dir`; returns the file. */
export async function createSizeLimitedVolume(name: string, sizeMiB: number, dir: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.ext4`);
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, '');
  fs.truncateSync(file, sizeMiB * 1024 * 1024);
  execFileSync('mkfs.ext4', ['-q', '-F', file], { timeout: 30_000, stdio: 'pipe' });
  // No uid/gid options: podman would hand them to mount(8), which ext4 refuses. podman then gives
  // the volume's root the owner and mode of the image's directory when a container first mounts it
  // (uid and gid 1001 in these images, the same as the pods' fsGroup).
  await podman(['volume', 'create', '--opt', 'type=ext4', '--opt', `device=${file}`, '--opt', 'o=loop', name]);
  return file;
}
