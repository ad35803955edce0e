/**
 * The Pod Security Standards checker (test/support/pod-security-standards.ts) itself: a pod that
 * meets Restricted passes every rule, and each rule rejects a pod that breaks only its control. A
 * rule that could not fail here would let the member pods through unchecked.
 */
import { POD_SECURITY_RULES, PodUnderTest, PssRule, violations } from './support/pod-security-standards';

/** The smallest pod that meets Restricted: every container hardened, pod-level defaults set. */
function restrictedPod(): PodUnderTest & { metadata: any; spec: any } {
  const hardened = () => ({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  return {
    metadata: { annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'runtime/default' } },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1001, seccompProfile: { type: 'RuntimeDefault' }, sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] },
      initContainers: [{ name: 'init', image: 'x', securityContext: hardened() }],
      containers: [{ name: 'app', image: 'x', ports: [{ containerPort: 8080 }], securityContext: { ...hardened(), capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }],
      volumes: [{ name: 'config', configMap: { name: 'c' } }, { name: 'data', persistentVolumeClaim: { claimName: 'd' } }, { name: 'tmp', emptyDir: {} }],
    },
  };
}

/** A restricted pod changed by `edit`. */
function podWith(edit: (pod: { metadata: any; spec: any }) => void): PodUnderTest {
  const pod = restrictedPod();
  edit(pod);
  return pod;
}

const rule = (level: string, control: string): PssRule => {
  const found = POD_SECURITY_RULES.find((r) => r.level === level && r.control === control);
  if (!found) throw new Error(`no rule ${level} ${control}`);
  return found;
};
const app = (pod: any) => pod.spec.containers[0];
const init = (pod: any) => pod.spec.initContainers[0];

/** One pod per control that breaks that control, and how. */
const BAD_PODS: [level: string, control: string, how: string, pod: PodUnderTest][] = [
  ['baseline', 'HostProcess', 'a Windows HostProcess container', podWith((p) => { app(p).securityContext.windowsOptions = { hostProcess: true }; })],
  ['baseline', 'Host Namespaces', 'the host\'s PID namespace', podWith((p) => { p.spec.hostPID = true; })],
  ['baseline', 'Privileged Containers', 'a privileged init container', podWith((p) => { init(p).securityContext.privileged = true; })],
  ['baseline', 'Capabilities', 'NET_ADMIN added', podWith((p) => { app(p).securityContext.capabilities.add = ['NET_ADMIN']; })],
  ['baseline', 'HostPath Volumes', 'a hostPath volume', podWith((p) => { p.spec.volumes.push({ name: 'host', hostPath: { path: '/' } }); })],
  ['baseline', 'Host Ports', 'a host port', podWith((p) => { app(p).ports[0].hostPort = 8080; })],
  ['baseline', 'AppArmor', 'an unconfined AppArmor profile', podWith((p) => { p.metadata.annotations['container.apparmor.security.beta.kubernetes.io/app'] = 'unconfined'; })],
  ['baseline', 'SELinux', 'a custom SELinux type', podWith((p) => { p.spec.securityContext.seLinuxOptions = { type: 'spc_t' }; })],
  ['baseline', '/proc Mount Type', 'an unmasked /proc', podWith((p) => { app(p).securityContext.procMount = 'Unmasked'; })],
  ['baseline', 'Seccomp', 'an unconfined container', podWith((p) => { app(p).securityContext.seccompProfile = { type: 'Unconfined' }; })],
  ['baseline', 'Sysctls', 'an unsafe sysctl', podWith((p) => { p.spec.securityContext.sysctls.push({ name: 'kernel.msgmax', value: '65536' }); })],
  ['restricted', 'Volume Types', 'an NFS volume', podWith((p) => { p.spec.volumes.push({ name: 'share', nfs: { server: 'nfs', path: '/' } }); })],
  ['restricted', 'Privilege Escalation', 'allowPrivilegeEscalation left unset', podWith((p) => { delete init(p).securityContext.allowPrivilegeEscalation; })],
  ['restricted', 'Running as Non-root', 'runAsNonRoot unset at pod level and on a container', podWith((p) => { delete p.spec.securityContext.runAsNonRoot; })],
  ['restricted', 'Running as Non-root user', 'a container running as uid 0', podWith((p) => { init(p).securityContext.runAsUser = 0; })],
  ['restricted', 'Seccomp', 'no seccomp profile anywhere', podWith((p) => { delete p.spec.securityContext.seccompProfile; })],
  ['restricted', 'Capabilities', 'capabilities not dropped', podWith((p) => { init(p).securityContext.capabilities.drop = ['NET_RAW']; })],
];

describe('the Pod Security Standards checker', () => {
  test('a pod that meets Restricted passes every rule of both profiles', () => {
    expect(violations(restrictedPod())).toEqual([]);
  });

  test('has one bad pod per control of Baseline and Restricted (1.28)', () => {
    expect(BAD_PODS.map(([level, control]) => `${level} ${control}`)).toEqual(POD_SECURITY_RULES.map((r) => `${r.level} ${r.control}`));
  });

  test.each(BAD_PODS)('%s %s rejects %s', (level, control, _how, pod) => {
    expect(rule(level, control).check(pod)).not.toEqual([]);
    expect(violations(pod, level as 'baseline' | 'restricted')).toEqual(expect.arrayContaining([expect.stringMatching(`^${level} ${control}: `)]));
  });

  test('Baseline leaves the Restricted-only controls to Restricted', () => {
    const escalating = podWith((p) => { delete app(p).securityContext.allowPrivilegeEscalation; });
    expect(violations(escalating, 'baseline')).toEqual([]);
    expect(violations(escalating, 'restricted')).toEqual([expect.stringMatching(/^restricted Privilege Escalation: containers\[0\] "app"/)]);
  });

  test('ephemeral containers are held to the same rules as the others', () => {
    const debug = podWith((p) => { p.spec.ephemeralContainers = [{ name: 'debug', image: 'x', securityContext: { privileged: true } }]; });
    expect(rule('baseline', 'Privileged Containers').check(debug)).toEqual(['ephemeralContainers[0] "debug": securityContext.privileged=true']);
    expect(rule('restricted', 'Privilege Escalation').check(debug)).toHaveLength(1);
  });

  describe('pod- and container-level precedence, as the admission controller reads it', () => {
    const nonRoot = rule('restricted', 'Running as Non-root').check;
    const seccomp = rule('restricted', 'Seccomp').check;

    test('runAsNonRoot: the pod\'s true covers containers that leave it unset, never one that says false', () => {
      expect(nonRoot(restrictedPod())).toEqual([]);
      expect(nonRoot(podWith((p) => { init(p).securityContext.runAsNonRoot = false; }))).toEqual(['initContainers[0] "init": runAsNonRoot=false']);
    });

    test('runAsNonRoot: without the pod\'s true, every container must say true itself', () => {
      const eachSaysTrue = podWith((p) => {
        delete p.spec.securityContext.runAsNonRoot;
        for (const c of [init(p), app(p)]) c.securityContext.runAsNonRoot = true;
      });
      expect(nonRoot(eachSaysTrue)).toEqual([]);
      const podSaysFalse = podWith((p) => {
        p.spec.securityContext.runAsNonRoot = false;
        for (const c of [init(p), app(p)]) c.securityContext.runAsNonRoot = true;
      });
      expect(nonRoot(podSaysFalse)).toEqual(['pod: runAsNonRoot=false']);
    });

    test('seccomp: a container\'s own profile wins over the pod\'s, in both directions', () => {
      const containersOnly = podWith((p) => {
        delete p.spec.securityContext.seccompProfile;
        for (const c of [init(p), app(p)]) c.securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'zk.json' };
      });
      expect(seccomp(containersOnly)).toEqual([]);
      const oneUnconfined = podWith((p) => { app(p).securityContext.seccompProfile = { type: 'Unconfined' }; });
      expect(seccomp(oneUnconfined)).toEqual(['containers[0] "app": seccompProfile Unconfined']);
      const podUnconfined = podWith((p) => {
        p.spec.securityContext.seccompProfile = { type: 'Unconfined' };
        for (const c of [init(p), app(p)]) c.securityContext.seccompProfile = { type: 'RuntimeDefault' };
      });
      expect(seccomp(podUnconfined)).toEqual(['pod: seccompProfile Unconfined']);
    });
  });
});
