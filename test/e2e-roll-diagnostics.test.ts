import { errorsDuring } from '../e2e/scenario-partitions';
import { peerFailures } from '../e2e/scenario-roll';

// Lines as logback writes them in the members' logs: the message, then the exception and its stack.
const follower = [
  '2026-12-04 14:10:01,100 [myid:1] - WARN  [QuorumPeer[myid=1](plain=[0:0:0:0:0:0:0:0]:2181)(secure=disabled):o.a.z.s.q.Follower@131] - Exception when following the leader',
  'java.net.SocketTimeoutException: Read timed out',
  '\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)',
  '2026-12-04 14:10:03,400 [myid:1] - WARN  [QuorumConnectionThread-[myid=1]-3:o.a.z.s.q.QuorumCnxManager@401] - Cannot open channel to 3 at election address zookeeper-2.zookeeper-headless.zookeeper.svc.cluster.local/10.89.0.7:3888',
  'java.net.SocketTimeoutException: connect timed out',
  '2026-12-04 14:10:08,400 [myid:1] - WARN  [QuorumConnectionThread-[myid=1]-4:o.a.z.s.q.QuorumCnxManager@401] - Cannot open channel to 3 at election address zookeeper-2.zookeeper-headless.zookeeper.svc.cluster.local/10.89.0.7:3888',
  'java.net.SocketTimeoutException: connect timed out',
].join('\n');
const other = [
  '2026-12-04 14:10:01,050 [myid:2] - WARN  [QuorumPeer[myid=2]:o.a.z.s.q.Follower@131] - Exception when following the leader',
  'java.io.EOFException: null',
  '2026-12-04 14:10:02,000 [myid:2] - WARN  [QuorumConnectionThread-[myid=2]-1:o.a.z.s.q.QuorumCnxManager@395] - None of the addresses (zookeeper-0.zookeeper-headless/10.89.0.5:3888) are reachable for sid 1',
  'java.net.NoRouteToHostException: No route to host',
  '2026-12-04 14:10:02,500 [myid:2] - INFO  [QuorumPeer[myid=2]:o.a.z.s.q.Leader@600] - LEADING - LEADER ELECTION TOOK - 237 MS',
].join('\n');

describe('peerFailures: what the members logged about their peers during a roll', () => {
  test('counts each failure by what failed and the exception logged after it', () => {
    expect(peerFailures([follower, other])).toBe([
      '1x the leader lost: SocketTimeoutException (Read timed out)',
      '2x zookeeper-2.zookeeper-headless.zookeeper.svc.cluster.local/10.89.0.7:3888: SocketTimeoutException (connect timed out)',
      '1x the leader lost: EOFException (null)',
      '1x zookeeper-0.zookeeper-headless/10.89.0.5:3888: NoRouteToHostException (No route to host)',
    ].join(', '));
  });

  test('a failure without an exception line is still counted, and quiet logs say none', () => {
    expect(peerFailures(['x - Exception when following the leader\n2026-12-04 next line'])).toBe('1x the leader lost: no exception logged');
    expect(peerFailures(['2026-12-04 14:10:02,500 [myid:2] - INFO  LEADING - LEADER ELECTION TOOK - 237 MS', ''])).toBe('none');
  });
});

describe('errorsDuring: what the writer was told inside a write gap', () => {
  const gap = { ms: 3000, at: 1_000_000 };
  test('counts the failed attempts inside the gap by message, with when each was first seen', () => {
    const events = [
      { error: 'ConnectionLoss', t: 999.9 },
      { acked: 7, t: 1000 },
      { error: 'ConnectionLoss', t: 1000.2 },
      { error: 'SessionExpired', t: 1001.5 },
      { error: 'ConnectionLoss', t: 1002.9 },
      { acked: 8, t: 1003 },
      { error: 'ConnectionLoss', t: 1003.5 },
    ];
    expect(errorsDuring(events, gap)).toBe('2x ConnectionLoss (first at +0.2 s), 1x SessionExpired (first at +1.5 s)');
  });

  test('a gap without failed attempts says so', () => {
    expect(errorsDuring([{ acked: 1, t: 1000 }, { acked: 2, t: 1003 }], gap)).toBe('no failed attempt');
  });
});
