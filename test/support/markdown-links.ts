import * as fs from 'fs';
import * as path from 'path';

/**
 * Relative links and #anchors of the project's Markdown, resolved the way GitHub renders them, so a
 * moved section or a renamed heading shows up as a failing test instead of a dead link.
 */

export interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

/** Lines outside fenced code blocks, with inline code removed: links and headings in code are text. */
function proseLines(text: string): Array<{ line: number; text: string }> {
  const lines: Array<{ line: number; text: string }> = [];
  let fence: string | undefined;
  text.split('\n').forEach((raw, index) => {
    const marker = /^\s*(```|~~~)/.exec(raw)?.[1];
    if (marker && (fence === undefined || fence === marker)) {
      fence = fence === undefined ? marker : undefined;
      return;
    }
    if (fence === undefined) lines.push({ line: index + 1, text: raw });
  });
  return lines;
}

/** GitHub's heading ids: rendered text lowercased, punctuation dropped, spaces to '-', repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1];
    if (heading === undefined) continue;
    const rendered = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1'); // a link's text stays, its target does not
    const slug = rendered.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every inline link `[text](target)` outside code whose target is not an absolute URL. */
export function relativeLinks(file: string, markdown: string): Link[] {
  const links: Link[] = [];
  for (const { line, text } of proseLines(markdown)) {
    const prose = text.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
      links.push({ file, line, target });
    }
  }
  return links;
}

/** Why a link does not resolve, or undefined when it does. */
export function brokenReason(link: Link, read: (file: string) => string | undefined): string | undefined {
  const hash = link.target.indexOf('#');
  const pathPart = hash < 0 ? link.target : link.target.slice(0, hash);
  const anchor = hash < 0 ? undefined : link.target.slice(hash + 1);
  const targetFile = pathPart === '' ? link.file : path.normalize(path.join(path.dirname(link.file), decodeURI(pathPart)));
  const content = read(targetFile);
  if (content === undefined) return `${targetFile} does not exist`;
  if (anchor === undefined) return undefined;
  if (!targetFile.endsWith('.md')) return `#${anchor} points into ${targetFile}, which has no headings`;
  return headingAnchors(content).has(anchor) ? undefined : `${targetFile} has no heading #${anchor}`;
}

/** Reads a file or tells that a directory exists (its content is then ''); undefined when neither. */
export function readFromDisk(root: string): (file: string) => string | undefined {
  return (file) => {
    const full = path.join(root, file);
    if (!fs.existsSync(full)) return undefined;
    return fs.statSync(full).isDirectory() ? '' : fs.readFileSync(full, 'utf8');
  };
}
