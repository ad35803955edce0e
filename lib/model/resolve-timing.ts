import { SettingsReader } from './settings-reader';

/** The JVM property that caps the election back-off (maxNotificationIntervalMs). */
export const MAX_NOTIFICATION_INTERVAL_PROPERTY = 'zookeeper.fastleader.maxNotificationInterval';

/**
 * The clock of the ensemble: ZooKeeper's tick and the limits counted in it, the session bounds,
 * and how long a member that finds no leader waits between election rounds. Together they decide
 * how fast a member cut off from its peers stops serving, and how fast it serves again once the
 * network heals (docs/partitions.md has the measured figures).
 */
export function readTiming(s: SettingsReader) {
  const tickTime = s.int('tickTime', 2000, { min: 100, max: 60000 });
  const minSessionTimeout = s.int('minSessionTimeout', 2 * tickTime, { min: 1, max: 2147483647 });
  const maxSessionTimeout = s.int('maxSessionTimeout', 180000, { min: 1, max: 2147483647 });
  if (minSessionTimeout > maxSessionTimeout) {
    s.fail('minSessionTimeout', `must not exceed maxSessionTimeout (${minSessionTimeout} > ${maxSessionTimeout})`);
  }
  return {
    tickTime,
    initLimit: s.int('initLimit', 10, { min: 1, max: 1000 }),
    // A leader that hears from no quorum for syncLimit ticks steps down, and a follower that hears
    // nothing from its leader for as long gives up on it: 2 ticks (4 s) is 4 missed pings (the
    // leader pings every half tick), where 5 kept a cut-off leader serving for 10 s.
    syncLimit: s.int('syncLimit', 2, { min: 1, max: 1000 }),
    minSessionTimeout,
    maxSessionTimeout,
    // ZooKeeper doubles the wait between election rounds of a member that gets no answer, from
    // 200 ms up to this cap (its default is 60 s), and a member whose network comes back sits out
    // its current wait first: with 60 s, a member cut off for 75 s served again only 38-42 s
    // after the network healed.
    maxNotificationIntervalMs: s.int('maxNotificationIntervalMs', 2000, { min: 200, max: 60000 }),
  };
}
