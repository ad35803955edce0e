/**
 * The NetworkPolicy, the containers and the Services take their ports from one model. These tests
 * read the synthesized objects and check that the three agree: no port is let in that nothing
 * listens on or no Service exposes, and no exposed port is left unreachable. They also check the
 * policy against what the processes bind, read from zoo.cfg and supervisord.conf rather than the
 * model, for every TLS and SASL variant: podman enforces no policy, so the e2e tests cannot.
 */
import { ClientTls, DeploymentMode, ImageProfile, IssuerKind, Membership, PrometheusMonitor, ZooKeeperEnsembleProps } from '../lib';
import { userApp } from './support/default-app';
import { selects } from './support/k8s-schema/rules';
import { KubeObject, parseZooCfg, synthEnsemble } from './support/synth';

const TLS = { tlsIssuer: { name: 'internal-ca', kind: IssuerKind.CLUSTER_ISSUER } };
const SASL = { saslSecretName: 'zk-sasl' };

const VARIANTS: [string, ZooKeeperEnsembleProps][] = [
  ['the default ensemble', {}],
  ['an ensemble on other ports', { clientPort: 12181, quorumPort: 12888, electionPort: 13888, metricsPort: 17000, adminPort: 18080 }],
  ['a cluster with observers and a PodMonitor', { mode: DeploymentMode.CLUSTER, observers: 2, prometheusMonitor: PrometheusMonitor.POD_MONITOR }],
  ['the Debian image, whose exporter serves the metrics port', { image: ImageProfile.debian() }],
  ['a standalone server', { mode: DeploymentMode.STANDALONE }],
  ['client TLS beside plaintext', { clientTls: ClientTls.ON, ...TLS }],
  ['TLS-only clients', { clientTls: ClientTls.ONLY, ...TLS }],
  ['TLS-only clients of a standalone server on the Debian image', { mode: DeploymentMode.STANDALONE, image: ImageProfile.debian(), clientTls: ClientTls.ONLY, ...TLS }],
  ['quorum TLS', { quorumTls: true, ...TLS }],
  ['quorum TLS and TLS-only clients on other ports, with observers', {
    mode: DeploymentMode.CLUSTER, observers: 1, quorumTls: true, clientTls: ClientTls.ONLY, clientPort: 12181, secureClientPort: 12281, ...TLS,
  }],
  ['client SASL', { clientSasl: true, saslClientUsers: { app: 'app-password' }, ...SASL }],
  ['quorum SASL', { quorumSasl: true, ...SASL }],
  ['a dynamic membership', { membership: Membership.DYNAMIC }],
  ['a dynamic membership with TLS-only clients', { membership: Membership.DYNAMIC, clientTls: ClientTls.ONLY, ...TLS }],
  ['SASL both ways over TLS both ways, plaintext clients too', {
    clientSasl: true, quorumSasl: true, saslClientUsers: { app: 'app-password' }, ...SASL, quorumTls: true, clientTls: ClientTls.ON, ...TLS,
  }],
  // The user's environments, whatever they are (those that keep a NetworkPolicy).
  ...userApp().environments.filter((env) => env.settings.networkPolicy !== false)
    .map(({ name, settings: { createNamespace, ...settings } }): [string, ZooKeeperEnsembleProps] => [`environment '${name}' of the user's app`, settings]),
];

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * The TCP ports a member's processes accept from other pods, read from what they are configured
 * with: zoo.cfg (client, TLS client, quorum and election ports, the metrics provider, the
 * AdminServer) and supervisord.conf (the mntr exporter). A port bound to loopback is not one.
 * Under a dynamic membership zoo.cfg lists no server: the member's own line is written at start
 * (dynamic-config.sh) from the container's ZK_QUORUM_PORT and ZK_ELECTION_PORT.
 */
function servedToOtherPods(synth: ReturnType<typeof synthEnsemble>, zooCfgFile: string, member: string): string[] {
  const cfg = parseZooCfg(synth.file(synth.ensemble.model.names.configMaps.zookeeper, zooCfgFile));
  const open = (port: string | undefined, address: string | undefined) => (port !== undefined && !LOOPBACK.has(address ?? '0.0.0.0') ? [key(Number(port))] : []);
  const ownServerLine = [...cfg.entries()].find(([k, v]) => /^server\.\d+$/.test(k) && v.startsWith(`${member}.`))?.[1];
  const env = (name: string) => synth.all('StatefulSet').flatMap((sts) => sts.spec.template.spec.containers)
    .flatMap((c: any) => c.env ?? []).find((e: any) => e.name === name)?.value;
  const [, quorum, election] = ownServerLine?.split(':')
    ?? (cfg.get('reconfigEnabled') === 'true' ? [undefined, env('ZK_QUORUM_PORT'), env('ZK_ELECTION_PORT')] : []);
  const exporter = /--listen-port (\d+)/.exec(synth.file(synth.ensemble.model.names.configMaps.supervisord, 'supervisord.conf'))?.[1];
  return [
    ...open(cfg.get('clientPort'), cfg.get('clientPortAddress')),
    ...open(cfg.get('secureClientPort'), cfg.get('secureClientPortAddress')),
    // quorumListenOnAllIPs: the member binds both ports on every address, not only its own name's.
    ...(cfg.get('quorumListenOnAllIPs') === 'true' ? [...open(quorum, undefined), ...open(election, undefined)] : []),
    ...open(cfg.get('metricsProvider.httpPort'), cfg.get('metricsProvider.httpHost')),
    ...(cfg.get('admin.enableServer') === 'false' ? [] : open(cfg.get('admin.serverPort') ?? '8080', cfg.get('admin.serverAddress'))),
    ...open(exporter, undefined),
  ].sort();
}


/** `TCP/2181`: a port as traffic sees it. */
const key = (port: number, protocol = 'TCP') => `${protocol}/${port}`;

function portsOf(variant: ZooKeeperEnsembleProps) {
  const synth = synthEnsemble({ name: 'zk', ...variant });
  const model = synth.ensemble.model;
  // The members' policy; with backup on there is also the backup pods' own.
  const policy = synth.one('NetworkPolicy', model.names.networkPolicy);
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
  return { synth, model, policy, templates, declared, target, services, opened, ingress, egress };
}

/** The Services that expose each kind of traffic the policy lets in (the post-deploy check is a client and a scraper). */
const SERVICES_OF = {
  clients: ['clientService'], members: ['peerService'], metrics: ['metricsService'], backup: ['clientService'], 'post-deploy-check': ['clientService', 'metricsService'], roll: ['clientService', 'metricsService'],
  // Under a dynamic membership a starting member reads the membership through the client Service.
  membership: ['clientService'],
} as const;

describe.each(VARIANTS)('ports of %s', (_name, variant) => {
  const { synth, model, policy, templates, declared, target, services, opened, ingress, egress } = portsOf(variant);
  const letIn = new Set(ingress.flatMap((r) => opened(r.synthesized)));

  test('the policy lets in exactly the ports each member\'s processes serve to other pods, per its zoo.cfg and supervisord.conf', () => {
    for (const group of model.memberGroups) {
      const file = group.zooCfgPath.slice(group.zooCfgPath.lastIndexOf('/') + 1);
      for (const member of group.members) {
        expect({ member: member.podName, letIn: [...letIn].sort() }).toEqual({ member: member.podName, letIn: servedToOtherPods(synth, file, member.podName) });
      }
    }
  });

  test('clients are let in on exactly the client ports the members serve to other pods, TLS or plaintext', () => {
    const clients = opened(ingress.find((r) => r.purpose === 'clients')!.synthesized).sort();
    const quorumOrMetrics = new Set([model.ports.quorum, model.ports.election, model.ports.metrics].map((p) => key(p.port)));
    const file = model.memberGroups[0].zooCfgPath.slice(model.memberGroups[0].zooCfgPath.lastIndexOf('/') + 1);
    expect(clients).toEqual(servedToOtherPods(synth, file, model.members[0].podName).filter((p) => !quorumOrMetrics.has(p)));
  });

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

  test('every port let in is exposed by the Service of its traffic: clients and the backup by the client Service, members by the peer Service, scrapes by the metrics Service, the check by both', () => {
    for (const { purpose, synthesized } of ingress) {
      const names: readonly string[] = SERVICES_OF[purpose as keyof typeof SERVICES_OF].map((role) => model.names[role]);
      const exposed = services.filter((s) => names.includes(s.metadata.name))
        .flatMap((service) => templates.flatMap((t) => service.spec.ports.map((p: any) => target(p, t))));
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

  test('members dial each other on exactly the ports they let each other in on, and both rules select every member; a single server has no such rule', () => {
    const inbound = ingress.find((r) => r.purpose === 'members')?.synthesized;
    const outbound = egress.find((r) => r.purpose === 'members')?.synthesized;
    if (model.replicas === 1) {
      expect({ inbound, outbound }).toEqual({ inbound: undefined, outbound: undefined });
      return;
    }
    expect(opened(outbound)).toEqual(opened(inbound));
    expect(opened(inbound)).toEqual([key(model.ports.quorum.port), key(model.ports.election.port)]);
    for (const template of templates) {
      expect(selects(policy.spec.podSelector, template.metadata.labels)).toBe(true);
      expect(inbound.from.map((peer: any) => selects(peer.podSelector, template.metadata.labels))).toEqual([true]);
      expect(outbound.to.map((peer: any) => selects(peer.podSelector, template.metadata.labels))).toEqual([true]);
    }
  });
});
