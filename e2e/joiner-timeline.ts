// Where a joiner's time goes during a scale-up: from the apply to its pod's creation, the server
// list dynamic-config.sh chose, ZooKeeper's election ("FOLLOWING - LEADER ELECTION TOOK"), its sync
// with the leader (a diff, a snapshot or a truncation, then "following - broadcast") and its add
// (membership-watch.sh "added: it votes now"). Read from the member's container log with podman's
// timestamps, since the scripts' lines carry none. Diagnostics for the figures in
// docs/membership.md: the scenarios print it and assert nothing on it.

/** One log line and when podman received it (ms since the epoch). */
export interface TimedLine {
  readonly at: number;
  readonly line: string;
}

/** What one joiner did, each the first time it did it (ms since the epoch). */
export interface JoinerTimeline {
  readonly serverList?: { readonly at: number; readonly how: string };
  /** Queries of the ensemble's membership that something answered without one, before the list. */
  readonly unanswered: number;
  /** Whether it found nothing accepting connections at the client Service first (logged once per 30 s). */
  readonly nobodyAnswered: boolean;
  readonly following?: { readonly at: number; readonly electionMs: number };
  /** How often it began following: more than once when its server restarted, or ZooKeeper restarted its role after a reconfig. */
  readonly elections: number;
  readonly sync?: { readonly at: number; readonly kind: string };
  readonly inSync?: number;
  readonly added?: { readonly at: number; readonly as: string };
}

/** `podman logs --timestamps` output (RFC 3339 with up to nanoseconds, then the line), in order. */
export function parseTimedLog(text: string): TimedLine[] {
  const lines: TimedLine[] = [];
  for (const raw of text.split('\n')) {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d) (.*)$/.exec(raw);
    if (!m) continue;
    const at = Date.parse(`${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}${m[3]}`);
    if (!Number.isNaN(at)) lines.push({ at, line: m[4] });
  }
  return lines;
}

const SERVER_LIST: [RegExp, string][] = [
  [/dynamic-config: member \d+: starting from its last membership/, 'its own last membership'],
  [/dynamic-config: member \d+: the ensemble already lists it/, 'the ensemble\'s, which lists it'],
  [/dynamic-config: member \d+: joining:/, 'joining'],
  [/dynamic-config: member \d+: no member serves a membership/, 'the bootstrap list'],
];
const SYNC: [RegExp, string][] = [[/Getting a diff from the leader/, 'a diff'], [/Getting a snapshot from leader/, 'a snapshot'], [/Truncating log to get in sync/, 'a truncation']];

/** The joiner's milestones in its log. */
export function joinerTimeline(lines: TimedLine[]): JoinerTimeline {
  const matches = (pattern: RegExp) => lines.flatMap((l) => {
    const m = pattern.exec(l.line);
    return m ? [{ at: l.at, m }] : [];
  });
  const firstOf = (patterns: [RegExp, string][]) => {
    const found = lines.map((l) => ({ at: l.at, p: patterns.find(([re]) => re.test(l.line)) })).find((x) => x.p !== undefined);
    return found && { at: found.at, what: found.p![1] };
  };
  const list = firstOf(SERVER_LIST);
  const beforeTheList = (pattern: RegExp) => matches(pattern).filter((x) => list === undefined || x.at <= list.at).length;
  const following = matches(/FOLLOWING - LEADER ELECTION TOOK - (\d+) (MS|NS)/i);
  const sync = firstOf(SYNC);
  const added = matches(/membership-watch: .*added: it (votes|observes) now/)[0];
  const ms = (m: RegExpExecArray) => Number(m[1]) / (m[2].toUpperCase() === 'NS' ? 1e6 : 1);
  return {
    serverList: list && { at: list.at, how: list.what },
    unanswered: beforeTheList(/dynamic-config: member \d+: .* accepts connections but gave no membership/),
    nobodyAnswered: beforeTheList(/dynamic-config: member \d+: no member answers at /) > 0,
    following: following[0] && { at: following[0].at, electionMs: ms(following[0].m) },
    elections: following.length,
    sync: sync && { at: sync.at, kind: sync.what },
    inSync: matches(/Peer state changed: following - broadcast/)[0]?.at,
    added: added && { at: added.at, as: added.m[1] === 'votes' ? 'a voter' : 'an observer' },
  };
}

/** One line per joiner: each milestone's time after `since` (the apply). */
export function describeTimeline(pod: string, created: number | undefined, t: JoinerTimeline, since: number): string {
  const at = (ms: number | undefined) => (ms === undefined ? 'not seen' : `+${((ms - since) / 1000).toFixed(1)} s`);
  const parts = [
    `pod ${at(created)}`,
    `server list ${at(t.serverList?.at)}${t.serverList ? ` (${[t.serverList.how, ...(t.nobodyAnswered ? ['after nothing accepted a connection at first'] : []),
      ...(t.unanswered > 0 ? [`after ${t.unanswered} query(ies) answered without a membership`] : [])].join(', ')})` : ''}`,
    `following ${at(t.following?.at)}${t.following ? ` (election ${(t.following.electionMs / 1000).toFixed(1)} s${t.elections > 1 ? `, ${t.elections} in all` : ''})` : ''}`,
    `in sync ${at(t.inSync)}${t.sync ? ` (${t.sync.kind})` : ''}`,
    `${t.added?.as ?? 'added'} ${at(t.added?.at)}`,
  ];
  return `${pod}: ${parts.join(', ')}`;
}
