import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './support/project-copy';

// tools/resolve-cache.js keeps where the synth's modules were found. It must answer from build/
// while node_modules is what it was, and never once npm installed something else.
describe('the synth\'s cache of module locations', () => {
  let project: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
    fs.writeFileSync(path.join(project, file), text);
  };
  const run = () => spawnSync('node', ['-r', './preload.js', 'app.js'], { cwd: project, encoding: 'utf8' });

  beforeEach(() => {
    // GIVEN a project whose app requires a package, run once so the location is recorded
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-resolve-'));
    fs.cpSync(path.join(ROOT, 'tools', 'resolve-cache.js'), path.join(project, 'tools', 'resolve-cache.js'));
    fs.mkdirSync(path.join(project, 'build'));
    write('preload.js', "require('./tools/resolve-cache').cacheResolutions();\n");
    write('app.js', "console.log(require('dep'));\n");
    write('node_modules/.package-lock.json', '{"packages":{"node_modules/dep":{"version":"1.0.0"}}}\n');
    write('node_modules/dep/index.js', "module.exports = 'dep 1.0.0';\n");
    expect(run().stdout).toBe('dep 1.0.0\n');
    expect(fs.existsSync(path.join(project, 'build', '.resolve-cache.json'))).toBe(true);
  });
  afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

  test('answers from the record while node_modules is unchanged', () => {
    // WHEN the record points the package elsewhere (what only the cache could say)
    write('node_modules/dep/elsewhere.js', "module.exports = 'found through the record';\n");
    const record = fs.readFileSync(path.join(project, 'build', '.resolve-cache.json'), 'utf8');
    fs.writeFileSync(path.join(project, 'build', '.resolve-cache.json'), record.replace(/index\.js/g, 'elsewhere.js'));
    // THEN the app gets what the record says
    expect(run().stdout).toBe('found through the record\n');
  });

  test('is not used once npm installed another version', () => {
    // WHEN dep 2.0.0 moves its entry point, as npm records in node_modules/.package-lock.json
    write('node_modules/dep/package.json', '{"main":"lib/main.js"}\n');
    write('node_modules/dep/lib/main.js', "module.exports = 'dep 2.0.0';\n");
    write('node_modules/.package-lock.json', '{"packages":{"node_modules/dep":{"version":"2.0.0"}}}\n');
    // THEN the app gets the new entry point, not the recorded old one
    expect(run().stdout).toBe('dep 2.0.0\n');
  });
});
