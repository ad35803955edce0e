/**
 * What test/setup-tools.sh leaves behind: tools unpacked under .tools/ that run on their own, so
 * the pretest never installs a package or a service system-wide and a system copy cannot stand in.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findOnPath, requireSupervisorTool, runBounded, TOOLS_DIR } from './support/tools';

describe('the unpacked supervisor', () => {
  test.each(['supervisord', 'supervisorctl'] as const)('%s runs the copy unpacked in .tools/, with nothing but bash and python3 on PATH', async (name) => {
    // GIVEN a PATH that offers bash and python3 and no supervisor of the machine's
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-path-'));
    try {
      for (const tool of ['bash', 'python3']) fs.symlinkSync(findOnPath(tool)!, path.join(bin, tool));
      const tool = requireSupervisorTool(name);
      expect(path.relative(TOOLS_DIR, tool).startsWith('..')).toBe(false);
      // WHEN it prints its usage
      const result = await runBounded(tool, ['--help'], { env: { PATH: bin }, timeoutMs: 20_000 });
      // THEN the Python program unpacked below .tools/ answers, not a system-wide one
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`${path.join(TOOLS_DIR, 'supervisor', 'usr', 'bin', name)} [options]`);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
});
