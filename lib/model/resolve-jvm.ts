import { CREDENTIAL_ADVICE, CREDENTIAL_KEY } from './credential-keys';
import { MAX_NOTIFICATION_INTERVAL_PROPERTY } from './resolve-timing';
import { ModePreset } from './resolve-topology';
import { SettingsReader } from './settings-reader';
import { ZOO_CFG_KEY_OWNERS } from './zoo-cfg-entries';

/** Memory the JVM needs besides the heap: metaspace, thread stacks, direct buffers, GC structures. */
const NON_HEAP_RESERVE_MIB = 256;

/**
 * The container's CPU and memory, the heap carved out of the memory limit, and the JVM options:
 * the project's own, then the user's `jvmOptions`, which may not size the heap or carry secrets.
 */
export function readHeap(s: SettingsReader, preset: ModePreset, paths: { readonly tmpDir: string; readonly jvmSecurity: string }) {
  const memoryLimitMiB = s.int('memoryLimitMiB', preset.memoryLimitMiB, { min: 512, max: 1048576 });
  const memoryRequestMiB = s.int('memoryRequestMiB', memoryLimitMiB, { min: 64, max: 1048576 });
  if (memoryRequestMiB > memoryLimitMiB) {
    s.fail('memoryRequestMiB', `must not exceed memoryLimitMiB (${memoryRequestMiB} > ${memoryLimitMiB})`);
  }
  const cpuRequestMillicores = s.int('cpuRequestMillicores', preset.cpuRequestMillicores, { min: 1, max: 1024000 });
  const cpuLimitMillicores = s.int('cpuLimitMillicores', undefined, { min: 1, max: 1024000 });
  if (cpuLimitMillicores !== undefined && cpuLimitMillicores < cpuRequestMillicores) {
    s.fail('cpuLimitMillicores', `must be at least cpuRequestMillicores (${cpuLimitMillicores} < ${cpuRequestMillicores})`);
  }

  const heapPercent = s.int('heapPercent', 50, { min: 25, max: 80 });
  const explicitHeap = s.int('heapMiB', undefined, { min: 64, max: 1048576 });
  if (explicitHeap !== undefined && s.has('heapPercent')) {
    s.fail('heapMiB', 'cannot be combined with heapPercent: set one of them');
  }
  const heapMiB = explicitHeap ?? Math.floor(memoryLimitMiB * heapPercent / 100);
  const heapSetting = explicitHeap !== undefined ? 'heapMiB' : 'heapPercent';
  if (heapMiB >= memoryLimitMiB) {
    s.fail(heapSetting, `a heap of ${heapMiB} MiB does not fit the ${memoryLimitMiB} MiB memory limit (memoryLimitMiB); the container would be OOM-killed`);
  } else if (heapMiB + NON_HEAP_RESERVE_MIB > memoryLimitMiB) {
    s.fail(heapSetting, `a heap of ${heapMiB} MiB leaves ${memoryLimitMiB - heapMiB} MiB of the ${memoryLimitMiB} MiB memory limit for the rest of the JVM; at least ${NON_HEAP_RESERVE_MIB} MiB is needed (raise memoryLimitMiB or lower the heap)`);
  }

  const extraOptions = s.stringList('jvmOptions', (option) => {
    if (!/^-\S+$/.test(option) || /["'\\]/.test(option)) return 'must be one JVM option starting with \'-\', without spaces or quotes';
    // More specific than the credential check below: the digest has a setting of its own.
    if (/^-Dzookeeper\.DigestAuthenticationProvider\.superDigest=/.test(option)) {
      return 'would put the super digest into a ConfigMap and on the command line: use saslSuperDigestKey (read from a Secret)';
    }
    const property = /^-D([^=]+)=/.exec(option)?.[1];
    if (property && CREDENTIAL_KEY.test(property)) return `would put a secret into the jvm.options ConfigMap (${CREDENTIAL_ADVICE})`;
    if (property === MAX_NOTIFICATION_INTERVAL_PROPERTY) return 'is managed by the construct: use maxNotificationIntervalMs';
    // ZooKeeper turns zoo.cfg keys into zookeeper.* properties after the JVM has started, so such
    // a flag for a managed key would be silently overwritten by zoo.cfg.
    const zooCfgKey = /^zookeeper\.(.+)$/.exec(property ?? '')?.[1];
    const owner = zooCfgKey === undefined ? undefined : ZOO_CFG_KEY_OWNERS[zooCfgKey];
    if (owner) return `sets zoo.cfg's ${zooCfgKey}, which the construct manages and zoo.cfg would override; use ${owner}`;
    if (/^-(Xmx|Xms|XX:(MaxRAMPercentage|InitialRAMPercentage|MinRAMPercentage|MaxRAM)\b)/.test(option)) {
      return 'sets the heap size, which is derived from the memory limit: use heapMiB or heapPercent';
    }
    if (/^-Djava\.security\.properties=/.test(option)) {
      return 'is managed by the construct: it sets how long the JVM caches DNS answers, which recreated pods depend on';
    }
    if (/^-Djava\.security\.auth\.login\.config=/.test(option)) {
      return 'is managed by the construct: clientSasl and quorumSasl build the JAAS file from a Secret';
    }
    return undefined;
  });

  return {
    resources: { cpuRequestMillicores, cpuLimitMillicores, memoryRequestMiB, memoryLimitMiB },
    jvm: {
      heapMiB,
      nonHeapReserveMiB: NON_HEAP_RESERVE_MIB,
      options: [
        // Below 2 CPUs or 1792 MB the JVM would pick SerialGC, whose full pauses expire sessions.
        '-XX:+UseG1GC',
        // A JVM that ran out of heap is in an unknown state: let supervisord and the kubelet restart it.
        '-XX:+ExitOnOutOfMemoryError',
        // The DNS cache times (dnsCacheSeconds), as security properties: see below.
        `-Djava.security.properties=${paths.jvmSecurity}`,
        '-Djava.awt.headless=true',
        `-Djava.io.tmpdir=${paths.tmpDir}`,
        ...extraOptions,
      ],
      // Pods keep their DNS names but get new IPs when recreated. ZooKeeper re-resolves a leader
      // right before following it and keeps the old address when the lookup fails, then dials it
      // for initLimit x tickTime (20 s). A lookup answered from the JVM's cache gives that stale
      // address: a positive entry for 30 s by default, and a failed one (the peer's pod was gone a
      // moment earlier) for the 10 s the JDK's java.security sets. That file wins over the
      // sun.net.inetaddr.* system properties, so the times are set as security properties.
      dnsCacheSeconds: { resolved: 5, unresolved: 1 },
    },
  };
}
