/** Parses supervisord's INI format into sections of key/value pairs; rejects lines it does not understand. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) continue;
    const header = /^\[([^\]]+)\]$/.exec(trimmed);
    if (header) {
      if (sections[header[1]]) throw new Error(`duplicate section [${header[1]}]`);
      current = sections[header[1]] = {};
      continue;
    }
    const eq = trimmed.indexOf('=');
    if (!current || eq <= 0) throw new Error(`unexpected line: ${line}`);
    current[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return sections;
}
