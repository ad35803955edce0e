import { describeTimeline, joinerTimeline, parseTimedLog } from '../e2e/joiner-timeline';

// A joiner's container log as `podman logs --timestamps` prints it: the scripts' lines and logback's.
const log = [
  '2026-12-05T00:10:00.5Z zookeeper-start: something before the server list',
  '2026-12-05T00:10:00.700Z dynamic-config: member 2: no member answers at zookeeper-client.zookeeper.svc.cluster.local (0 s) and it may not start the ensemble on its own; waiting',
  '2026-12-05T00:10:01.100Z dynamic-config: member 2: zookeeper-client.zookeeper.svc.cluster.local accepts connections but gave no membership within 10 s: KeeperErrorCode = ConnectionLoss',
  '2026-12-05T00:10:01.250000000Z dynamic-config: member 2: its last membership (zoo.cfg.dynamic.100000003) does not list it (it was removed); joining anew',
  '2026-12-05T00:10:02.000123456Z dynamic-config: member 2: joining: the ensemble\'s membership plus itself (participant); it follows as a non-voter until it is added',
  '2026-12-05T00:10:20.100Z 2026-12-05 00:10:20,099 [myid:2] - INFO  [QuorumPeer[myid=2]:o.a.z.s.q.Follower@75] - FOLLOWING - LEADER ELECTION TOOK - 17960 MS',
  '2026-12-05T00:10:20.300Z 2026-12-05 00:10:20,299 [myid:2] - INFO  [QuorumPeer[myid=2]:o.a.z.s.q.Learner@569] - Getting a diff from the leader 0x100000040',
  '2026-12-05T00:10:20.900Z 2026-12-05 00:10:20,899 [myid:2] - INFO  [QuorumPeer[myid=2]:o.a.z.s.q.QuorumPeer@910] - Peer state changed: following - broadcast',
  '2026-12-05T00:10:22.000Z membership-watch: member 2: in sync as a non-voter and ordinal 1 < 3 desired voters: adding itself',
  '2026-12-05T00:10:22.600Z membership-watch: member 2: added: it votes now',
  '2026-12-05T00:10:30.000Z 2026-12-05 00:10:30,000 [myid:2] - INFO  [QuorumPeer[myid=2]:o.a.z.s.q.Follower@75] - FOLLOWING - LEADER ELECTION TOOK - 3 MS',
  'a line without a time',
].join('\n');
const applied = Date.parse('2026-12-05T00:10:00.000Z');

describe('joiner timeline: where a joiner\'s time goes, from its log', () => {
  test('parseTimedLog reads podman\'s RFC 3339 times to the millisecond and skips lines without one', () => {
    const lines = parseTimedLog(log);
    expect(lines).toHaveLength(11);
    expect(lines[0].at - applied).toBe(500);
    expect(lines[4].at - applied).toBe(2000);
    expect(lines[3].line).toMatch(/^dynamic-config: member 2: its last membership/);
  });

  test('each milestone is the first of its kind; every election is counted', () => {
    const t = joinerTimeline(parseTimedLog(log));
    expect(t.serverList).toEqual({ at: applied + 2000, how: 'joining' });
    expect(t.unanswered).toBe(1);
    expect(t.nobodyAnswered).toBe(true);
    expect(t.following).toEqual({ at: applied + 20_100, electionMs: 17_960 });
    expect(t.elections).toBe(2);
    expect(t.sync).toEqual({ at: applied + 20_300, kind: 'a diff' });
    expect(t.inSync).toBe(applied + 20_900);
    expect(t.added).toEqual({ at: applied + 22_600, as: 'a voter' });
  });

  test('describes each milestone after the apply, and says what it did not see', () => {
    const t = joinerTimeline(parseTimedLog(log));
    expect(describeTimeline('zookeeper-1', applied + 300, t, applied)).toBe(
      'zookeeper-1: pod +0.3 s, server list +2.0 s (joining, after nothing accepted a connection at first, after 1 query(ies) answered without a membership), following +20.1 s (election 18.0 s, 2 in all), in sync +20.9 s (a diff), a voter +22.6 s');
    expect(describeTimeline('zookeeper-2', undefined, joinerTimeline([]), applied)).toBe(
      'zookeeper-2: pod not seen, server list not seen, following not seen, in sync not seen, added not seen');
  });
});
