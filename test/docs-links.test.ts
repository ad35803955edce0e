import * as fs from 'fs';
import * as path from 'path';
import { brokenReason, headingAnchors, readFromDisk, relativeLinks } from './support/markdown-links';

const ROOT = path.join(__dirname, '..');
const documents = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('the documentation', () => {
  const read = readFromDisk(ROOT);
  const links = documents.flatMap((file) => relativeLinks(file, fs.readFileSync(path.join(ROOT, file), 'utf8')));

  test('every relative link and #anchor in README.md and docs/ resolves to a file and heading', () => {
    const broken = links.map((link) => ({ link, reason: brokenReason(link, read) })).filter((b) => b.reason)
      .map(({ link, reason }) => `${link.file}:${link.line}: (${link.target}) ${reason}`);
    expect(broken).toEqual([]);
  });

  test('the README links to every file of docs/', () => {
    const linked = new Set(relativeLinks('README.md', fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'))
      .map((link) => link.target.split('#')[0]));
    expect(documents.filter((file) => file !== 'README.md' && !linked.has(file))).toEqual([]);
  });
});

describe('the link check', () => {
  const files: Record<string, string> = {
    'README.md': '# Title\n\n## The `zoo.cfg` file\n\n## Quick start!\n\n## Quick start\n\n```md\n## Not a heading\n[x](missing.md)\n```\n',
    'docs/tls.md': '# TLS\n\n## What is verified\n',
  };
  const read = (file: string) => files[file];

  test('derives anchors as GitHub does: lowercase, punctuation dropped, spaces to dashes, repeats numbered', () => {
    expect([...headingAnchors(files['README.md'])]).toEqual(['title', 'the-zoocfg-file', 'quick-start', 'quick-start-1']);
  });

  test('finds a missing file, a missing heading and a heading that lives only in a code block', () => {
    const reasons = ['docs/nope.md', 'docs/tls.md#renewal', '#not-a-heading', 'README.md#title#x']
      .map((target) => brokenReason({ file: 'docs/x.md', line: 1, target: target.startsWith('#') ? `../README.md${target}` : `../${target}` }, read));
    expect(reasons).toEqual(['docs/nope.md does not exist', 'docs/tls.md has no heading #renewal', 'README.md has no heading #not-a-heading', 'README.md has no heading #title#x']);
  });

  test('accepts links that resolve, ignores absolute URLs and links inside code', () => {
    const links = relativeLinks('docs/tls.md', '[a](../README.md#the-zoocfg-file) [b](#what-is-verified) [c](https://example.com/#x) `[d](nowhere.md)`\n```\n[e](nowhere.md)\n```\n');
    expect(links.map((l) => l.target)).toEqual(['../README.md#the-zoocfg-file', '#what-is-verified']);
    expect(links.map((l) => brokenReason(l, read))).toEqual([undefined, undefined]);
  });
});
