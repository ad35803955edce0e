import * as fs from 'fs';
import * as path from 'path';

// docs/library.md shows the consumers that test/package.test.ts installs and runs; a change to
// one without the other would document code nobody ran.
const ROOT = path.join(__dirname, '..');

describe('docs/library.md', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'library.md'), 'utf8');
  const blocks = [...doc.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

  test.each(['main.ts', 'environments.js', 'tsconfig.json'])('quotes examples/consumer/%s in full, as the package test runs it', (file) => {
    expect(blocks).toContain(fs.readFileSync(path.join(ROOT, 'examples', 'consumer', file), 'utf8'));
  });
});
