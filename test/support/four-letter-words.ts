/**
 * Which four-letter words the pod's scripts send to ZooKeeper, read from the scripts themselves,
 * so the whitelist in zoo.cfg can be compared with what is actually used.
 */

/** ZooKeeper 3.8's four-letter words (FourLetterCommands). */
export const ZOOKEEPER_FOUR_LETTER_WORDS = [
  'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'hash', 'isro', 'mntr', 'ruok', 'srst', 'srvr', 'stat',
  'stmk', 'wchc', 'wchp', 'wchs',
];

/** The ways the project's scripts send a command; each captures the word. */
const SEND_SITES: readonly RegExp[] = [
  // bash: a call of probe.sh's helper, `four_letter_word ruok`.
  /\bfour_letter_word[ \t]+["']?(\w+)["']?/g,
  // bash: a literal written straight to a /dev/tcp descriptor, `printf 'srvr' >&3`, `echo -n srvr >&3`.
  /\b(?:printf|echo)(?:[ \t]+-\w+)*(?:[ \t]+'%s')?[ \t]+["']?(\w+)["']?[ \t]*>&[ \t]*\d/g,
  // python: `sock.sendall(b'mntr')`, `sock.send('mntr'.encode())`.
  /\.send(?:all)?\(\s*b?["'](\w+)["']/g,
];
/** How a script opens a connection to ZooKeeper's client port. */
const CONNECTS = /\/dev\/tcp\/|socket\.create_connection\(|\.connect\(/;
/**
 * Connections opened and closed at once, sending nothing: recover-data.sh's test of a peer's
 * quorum port, which only the leader listens on, and dynamic-config.sh's test that the client
 * Service accepts connections before it starts a client (which sends only requests, no word).
 */
const CONNECT_ONLY_CHECKS = /bash -c 'exec 3<>"\/dev\/tcp\/\$1\/\$2"' (?:leader-check|client-check) /g;

/**
 * rejoin-watch.sh's question to the AdminServer (HTTP on loopback, not the client port): a GET of
 * one of its commands, which the 4lw whitelist does not govern.
 */
const ADMIN_SERVER_REQUEST = /bash -c 'exec 3<>"\/dev\/tcp\/127\.0\.0\.1\/\$1" && printf "GET \/commands\/[a-z_]+ HTTP\/1\.0[^"]*" >&3 && cat <&3'/g;

/** Lines that are whole comments: a command named in a comment is not a command sent. */
function withoutCommentLines(text: string): string {
  return text.split('\n').filter((line) => !/^\s*#/.test(line)).join('\n');
}

/**
 * The four-letter words `script` sends. A script that connects to ZooKeeper in a way this does not
 * recognize, or sends something that is not a four-letter word, is an error: the comparison with
 * the whitelist must never pass because a command went unseen.
 */
export function fourLetterWordsSentBy(file: string, script: string): string[] {
  const code = withoutCommentLines(script).replace(CONNECT_ONLY_CHECKS, '').replace(ADMIN_SERVER_REQUEST, '');
  const words = new Set(SEND_SITES.flatMap((site) => [...code.matchAll(site)].map((m) => m[1])));
  const unknown = [...words].filter((w) => !ZOOKEEPER_FOUR_LETTER_WORDS.includes(w));
  if (unknown.length > 0) throw new Error(`${file} sends ${unknown.join(', ')}, which ZooKeeper 3.8 does not know as four-letter words`);
  if (words.size === 0 && CONNECTS.test(code)) {
    throw new Error(`${file} connects to ZooKeeper but sends no command this test recognizes: teach test/support/four-letter-words.ts how it sends`);
  }
  return [...words].sort();
}

/** The four-letter words sent by any of the scripts (file name to content), as a pod ships them. */
export function fourLetterWordsSent(scripts: Readonly<Record<string, string>>): string[] {
  return [...new Set(Object.entries(scripts).flatMap(([file, text]) => fourLetterWordsSentBy(file, text)))].sort();
}
