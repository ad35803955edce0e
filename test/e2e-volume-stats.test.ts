import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderVolumeStats, statsOf } from '../e2e/volume-stats';
import { requirePrometheusTool } from './support/tools';

// The stand-in for the kubelet's volume stats (e2e 28): ZooKeeperVolumeNearlyFull reads its
// series, so they must be what the kubelet would report and parse as Prometheus parses them.
describe('the kubelet volume stats stand-in', () => {
  test('reports the file system as df does: capacity, used (blocks - free) and available (to non-root)', () => {
    // GIVEN a folder on some file system; WHEN the stand-in takes its figures
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-stats-'));
    try {
      const stats = statsOf(dir);
      // THEN they agree with coreutils' own statfs (block counts in 1-byte units)
      const [size, used, avail] = execFileSync('df', ['--block-size=1', '--output=size,used,avail', dir], { encoding: 'utf8' })
        .trim().split('\n')[1].trim().split(/\s+/).map(Number);
      const slack = 64 * 1024 * 1024; // other processes write to the same disk between the two reads
      expect(stats.capacity_bytes).toBe(size);
      expect(Math.abs(stats.used_bytes - used)).toBeLessThan(slack);
      expect(Math.abs(stats.available_bytes - avail)).toBeLessThan(slack);
      expect(stats.inodes_used).toBe(stats.inodes - stats.inodes_free);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('serves every series with the kubelet\'s labels, in a text format promtool accepts', () => {
    const stats = { capacity_bytes: 100, available_bytes: 5, used_bytes: 90, inodes: 10, inodes_free: 4, inodes_used: 6 };
    const text = renderVolumeStats([{ namespace: 'zookeeper', claim: 'data-zookeeper-0', stats }]);
    expect(text).toContain('kubelet_volume_stats_used_bytes{namespace="zookeeper",persistentvolumeclaim="data-zookeeper-0"} 90\n');
    expect(text.split('\n').filter((l) => l.startsWith('kubelet_volume_stats_'))).toHaveLength(6);
    // promtool check metrics exits non-zero on a parse error and on a lint finding.
    execFileSync(requirePrometheusTool('promtool'), ['check', 'metrics'], { input: text, stdio: ['pipe', 'pipe', 'pipe'] });
  });
});
