/**
 * The NetworkPolicy, the containers and the Services take their ports from one model. These tests
 * read the synthesized objects and check that the three agree: no port is let in that nothing
 * listens on or no Service exposes, and no exposed port is left unreachable.
 */
import { DeploymentMode, ImageProfile, PrometheusMonitor, ZooKeeperEnsembleProps } from '../lib';
import { userApp } from './support/default-app';
import { selects } from './support/k8s-schema/rules';
import { KubeObject, synthEnsemble } from './support/synth';

const VARIANTS: [string, ZooKeeperEnsembleProps][] = [
  ['the default ensemble', {}],
  ['an ensemble on other ports', { clientPort: 12181, quorumPort: 12888, electionPort: 13888, metricsPort: 17000, adminPort: 18080 }],
  ['a cluster with observers and a PodMonitor', { mode: DeploymentMode.CLUSTER, observers: 2, prometheusMonitor: PrometheusMonitor.POD_MONITOR }],
  ['the Debian image, whose exporter serves the metrics port', { image: ImageProfile.debian() }],
  ['a standalone server', { mode: DeploymentMode.STANDALONE }],
  // The user's environments, whatever they are (those that keep a NetworkPolicy).
  ...userApp().environments.filter((env) => env.settings.networkPolicy !== false)
    .map(({ name, settings: { createNamespace, ...settings } }): [string, ZooKeeperEnsembleProps] => [`environment '${name}' of the user's app`, settings]),
];

/** `TCP/2181`: a port as traffic sees it. */
const key = (port: number, protocol = 'TCP') => `${protocol}/${port}`;

function portsOf(variant: ZooKeeperEnsembleProps) {
  const synth = synthEnsemble({ name: 'zk', ...variant });
  const model = synth.ensemble.model;
  const policy = synth.one('NetworkPolicy');
  const templates = synth.all('StatefulSet').map((s) => s.spec.template);
  const declared = (template: any): any[] => template.spec.containers.flatMap((c: any) => c.ports ?? []);
  /** The port a Service port forwards to, resolved on a member pod like kube-proxy does. */
  const target = (servicePort: any, template: any): string => {
    const byName = typeof servicePort.targetPort === 'string' ? declared(template).find((p) => p.name === servicePort.targetPort) : undefined;
    return key(byName?.containerPort ?? servicePort.targetPort ?? servicePort.port, servicePort.protocol);
  };
  const services = synth.all('Service').filter((s) => templates.some((t) => selects({ matchLabels: s.spec.selector }, t.metadata.labels)));
  const opened = (rule: any): string[] => rule.ports.map((p: any) => key(p.port, p.protocol));
  // The object writes the model's rules in order; the model says what each is for.
  const ingress = model.networkPolicy!.ingress.map((rule, i) => ({ purpose: rule.purpose, synthesized: policy.spec.ingress[i] }));
  const egress = model.networkPolicy!.egress.map((rule, i) => ({ purpose: rule.purpose, synthesized: policy.spec.egress[i] }));
  return { model, policy, templates, declared, target, services, opened, ingress, egress };
}

/** The Service that exposes each kind of traffic the policy lets in. */
const SERVICE_OF = { clients: 'clientService', members: 'peerService', metrics: 'metricsService' } as const;

describe.each(VARIANTS)('ports of %s', (_name, variant) => {
  const { model, policy, templates, declared, target, services, opened, ingress, egress } = portsOf(variant);
  const letIn = new Set(ingress.flatMap((r) => opened(r.synthesized)));

  test('the policy holds the model\'s rules, in order, with the model\'s ports', () => {
    const portsOfModel = (rules: readonly { ports: readonly { port: number; protocol: string }[] }[]) => rules.map((r) => r.ports.map((p) => key(p.port, p.protocol)));
    expect(policy.spec.ingress.map(opened)).toEqual(portsOfModel(model.networkPolicy!.ingress));
    expect(policy.spec.egress.map(opened)).toEqual(portsOfModel(model.networkPolicy!.egress));
  });

  test('every port let in is declared by the container of every member, voters and observers', () => {
    for (const template of templates) {
      const listening = new Set(declared(template).map((p) => key(p.containerPort, p.protocol)));
      expect([...letIn].filter((p) => !listening.has(p))).toEqual([]);
    }
  });

  test('every port let in is exposed by the Service of its traffic: clients by the client Service, members by the peer Service, scrapes by the metrics Service', () => {
    for (const { purpose, synthesized } of ingress) {
      const service = services.find((s) => s.metadata.name === model.names[SERVICE_OF[purpose as keyof typeof SERVICE_OF]])!;
      const exposed = templates.flatMap((t) => service.spec.ports.map((p: any) => target(p, t)));
      expect({ purpose, notExposed: opened(synthesized).filter((p) => !exposed.includes(p)) }).toEqual({ purpose, notExposed: [] });
    }
  });

  test('every port of every Service in front of the members, and every declared container port, is let in for someone', () => {
    expect(services.map((s) => s.metadata.name).sort()).toEqual([model.names.clientService, model.names.peerService, model.names.metricsService].sort());
    const exposed = services.flatMap((s: KubeObject) => templates.flatMap((t) => s.spec.ports.map((p: any) => target(p, t))));
    const listening = templates.flatMap((t) => declared(t).map((p) => key(p.containerPort, p.protocol)));
    expect([...exposed, ...listening].filter((p) => !letIn.has(p))).toEqual([]);
    for (const { synthesized } of ingress) expect(synthesized.from === undefined || synthesized.from.length > 0).toBe(true);
  });

  test('the AdminServer port is neither declared, exposed nor let in', () => {
    const admin = key(model.ports.admin.port);
    expect(letIn.has(admin)).toBe(false);
    expect(templates.flatMap((t) => declared(t).map((p) => key(p.containerPort, p.protocol)))).not.toContain(admin);
    expect(services.flatMap((s) => templates.map((t) => s.spec.ports.map((p: any) => target(p, t))).flat())).not.toContain(admin);
  });

  test('members dial each other on exactly the ports they let each other in on, and both rules select every member', () => {
    const inbound = ingress.find((r) => r.purpose === 'members')!.synthesized;
    const outbound = egress.find((r) => r.purpose === 'members')!.synthesized;
    expect(opened(outbound)).toEqual(opened(inbound));
    expect(opened(inbound)).toEqual([key(model.ports.quorum.port), key(model.ports.election.port)]);
    for (const template of templates) {
      expect(selects(policy.spec.podSelector, template.metadata.labels)).toBe(true);
      expect(inbound.from.map((peer: any) => selects(peer.podSelector, template.metadata.labels))).toEqual([true]);
      expect(outbound.to.map((peer: any) => selects(peer.podSelector, template.metadata.labels))).toEqual([true]);
    }
  });
});
