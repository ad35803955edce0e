/**
 * Every pod the project can produce meets the Restricted Pod Security Standard, control by
 * control: the pod templates of every chart variant and of every manifest under dist/. The
 * Namespace enforces Restricted, so a violation here is a pod the cluster would refuse.
 */
import { POD_SECURITY_RULES } from './support/pod-security-standards';
import { FoundPod, podTemplatesIn } from './support/pod-templates';
import { CHART_VARIANTS, ChartOutput, distObjects, synthChartVariants } from './support/outputs';

const charts = synthChartVariants();
const dist = distObjects();
const outputs: ChartOutput[] = [...charts.map((c) => ({ name: `chart '${c.name}'`, objects: c.objects })), ...dist];
const pods: FoundPod[] = outputs.flatMap((o) => podTemplatesIn(o.objects, o.name));

describe('the pods under test', () => {
  test('come from every chart variant and from dist/, voters and observers alike', () => {
    const withoutPods = Object.keys(CHART_VARIANTS).filter((name) => !pods.some((p) => p.source.startsWith(`chart '${name}': StatefulSet/`)));
    expect(withoutPods).toEqual([]);
    expect(pods.filter((p) => p.source.startsWith('dist/')).length).toBeGreaterThan(0);
    // The two chart variants with observers; dist/ holds whatever the user's environments ask for.
    expect(pods.filter((p) => p.source.startsWith('chart \'') && p.source.endsWith('StatefulSet/zookeeper-observer')).length).toBe(2);
  });
});

describe.each(['baseline', 'restricted'])('Pod Security Standard %s (Kubernetes 1.28)', (level) => {
  test.each(POD_SECURITY_RULES.filter((r) => r.level === level).map((r) => [r.control, r] as const))('%s: every pod passes', (_, rule) => {
    expect(pods.flatMap(({ source, pod }) => rule.check(pod).map((v) => `${source}: ${v}`))).toEqual([]);
  });
});

describe('the service account token', () => {
  const serviceAccounts = outputs.flatMap((o) => o.objects.filter((x) => x.kind === 'ServiceAccount').map((sa) => ({ output: o.name, sa })));

  /** A member of a dynamic membership reads its StatefulSet's replicas from the API (docs/membership.md). */
  const dynamicMember = (pod: FoundPod['pod']) => pod.spec.containers.some((c: any) => (c.env ?? []).some((e: any) => e.name === 'ZK_MEMBERSHIP' && e.value === 'dynamic'));

  test('is mounted into no pod but the roll Job\'s and a dynamic membership\'s members\': ZooKeeper itself does not call the Kubernetes API', () => {
    const mounted = pods.filter(({ pod }) => pod.spec.automountServiceAccountToken !== false);
    expect(mounted.filter(({ source, pod }) => !/: Job\/zookeeper-roll-[0-9a-f]{10}$/.test(source) && !dynamicMember(pod)).map((p) => p.source)).toEqual([]);
    // The roll Job's pod runs as its own ServiceAccount, never the members'.
    const roll = mounted.filter(({ source }) => /: Job\/zookeeper-roll-/.test(source));
    expect([...new Set(roll.map(({ pod }) => pod.spec.serviceAccountName))]).toEqual(['zookeeper-roll']);
    expect(pods.some(({ pod }) => dynamicMember(pod))).toBe(true);
  });

  test('lets a dynamic membership\'s members do one thing with it: get their own StatefulSet, by name', () => {
    for (const output of outputs) {
      for (const { pod } of podTemplatesIn(output.objects, output.name).filter(({ pod }) => dynamicMember(pod))) {
        const bindings = output.objects.filter((o) => o.kind === 'RoleBinding' && o.subjects.some((x: any) => x.kind === 'ServiceAccount' && x.name === pod.spec.serviceAccountName));
        const rules = bindings.flatMap((b) => output.objects.filter((o) => o.kind === 'Role' && o.metadata.name === b.roleRef.name).flatMap((r) => r.rules));
        const statefulSet = pod.spec.containers.flatMap((c: any) => c.env ?? []).find((e: any) => e.name === 'ZK_STATEFULSET')?.value;
        expect({ output: output.name, rules }).toEqual({ output: output.name, rules: [{ apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: [statefulSet], verbs: ['get'] }] });
      }
    }
  });

  test('is not mounted by default by any ServiceAccount the project creates, so a pod that forgets to opt out gets none', () => {
    expect(serviceAccounts.length).toBeGreaterThanOrEqual(outputs.length);
    expect(serviceAccounts.filter(({ sa }) => sa.automountServiceAccountToken !== false).map(({ output, sa }) => `${output}: ${sa.metadata.name}`)).toEqual([]);
  });

  test('every pod runs as the ServiceAccount of its own output, never the namespace\'s default one', () => {
    const strangers = outputs.flatMap((o) => {
      const own = o.objects.filter((x) => x.kind === 'ServiceAccount').map((sa) => sa.metadata.name);
      return podTemplatesIn(o.objects, o.name).filter(({ pod }) => !own.includes(pod.spec.serviceAccountName))
        .map(({ source, pod }) => `${source}: ${pod.spec.serviceAccountName ?? 'default'}`);
    });
    expect(strangers).toEqual([]);
  });
});

describe('the namespace', () => {
  test('every Namespace the project creates enforces Restricted at the version these rules describe', () => {
    const namespaces = outputs.flatMap((o) => o.objects.filter((x) => x.kind === 'Namespace'));
    expect(namespaces.length).toBeGreaterThan(0);
    for (const ns of namespaces) {
      expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.28' });
    }
  });
});
