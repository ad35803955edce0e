// One synthesized ensemble as the harness sees it: the YAML that `npm run synth` writes, read
// back from disk and expanded into pods, and the operations the scenarios perform on it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { synthesizeAtomically, ZooKeeperChart, ZooKeeperChartProps } from '../lib';
import { ZOOKEEPER_PROGRAM } from '../lib/render/supervisord-conf';
import { mainContainer, PlayOptions, PodmanCluster } from './cluster';
import { ExpandedPod, expandStatefulSet, find, Manifest } from './expand';
import { podman, waitFor } from './podman';

export type Role = 'leader' | 'follower' | 'observer' | 'standalone';

/** Synthesizes a chart into a scratch directory and returns the objects parsed from its YAML. */
export function synthesizeToYaml(props: ZooKeeperChartProps): Manifest[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-e2e-synth-'));
  try {
    synthesizeAtomically((app) => new ZooKeeperChart(app, 'e2e', props), outdir);
    return fs.readdirSync(outdir).flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(outdir, file), 'utf8'), { version: '1.1' })
      .map((doc) => doc.toJS() as Manifest));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

export class Ensemble {
  /** Voters and observers alike. */
  public readonly members: ExpandedPod[];
  public readonly configMaps: Manifest[];
  public readonly clientPort: number;

  constructor(
    public readonly objects: Manifest[],
    private readonly cluster: PodmanCluster,
    private readonly clusterDomain = 'cluster.local',
    /** How the members are played (e.g. with reverse lookups for TLS hostname verification). */
    public readonly playOptions: PlayOptions = {},
  ) {
    // Every StatefulSet in manifest order: the voters first, then the observers of a cluster-mode
    // ensemble, so members[i] is the voter of ordinal i whether or not there are observers.
    this.members = find(objects, 'StatefulSet').flatMap((sts) => expandStatefulSet(objects, sts.metadata.name, this.clusterDomain));
    this.configMaps = find(objects, 'ConfigMap');
    // The plaintext client port: declared on the container, or (TLS-only clients) on loopback only.
    this.clientPort = Number(mainContainer(this.members[0]).env.find((e: any) => e.name === 'ZK_CLIENT_PORT').value);
  }

  /** The main container's port of that name, or undefined when it declares none. */
  public containerPort(name: string): number | undefined {
    return mainContainer(this.members[0]).ports.find((p: any) => p.name === name)?.containerPort;
  }

  /** `host:port` of each member, by DNS name: the full connection string. */
  public hosts(members = this.members, port = this.clientPort): string[] {
    return members.map((m) => `${m.fqdn}:${port}`);
  }

  /**
   * Creates the members' pods without waiting for any to become Ready, as podManagementPolicy
   * Parallel does. The podman calls themselves go one at a time: concurrent `kube play`s race on
   * removing their init containers (podman 4.3), and each returns as soon as its pod runs.
   */
  public async start(members = this.members): Promise<void> {
    for (const member of members) await this.cluster.play(member, this.configMaps, { ...this.playOptions, serviceNames: this.serviceNames(member) });
  }

  /** The DNS names of the Services (not headless) that select the member: its clients' way in. */
  public serviceNames(member: ExpandedPod): string[] {
    const labels = member.pod.metadata.labels ?? {};
    return find(this.objects, 'Service')
      .filter((svc) => svc.spec?.clusterIP !== 'None' && svc.spec?.selector
        && Object.entries(svc.spec.selector).every(([key, value]) => labels[key] === value))
      .map((svc) => `${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.clusterDomain}`);
  }

  /** Deletes members' pods; their volumes stay, as a StatefulSet's claims do. */
  public async delete(members = this.members): Promise<void> {
    await Promise.all(members.map((m) => this.cluster.deletePod(m.name)));
  }

  /**
   * Deletes the pods, their claims and the ConfigMaps' data, as deleting the namespace would: the
   * names are free for another environment's objects (dist/dev uses the same names as dist/prod).
   */
  public async destroy(): Promise<void> {
    await this.delete();
    await this.cluster.removeVolumes([
      ...this.members.flatMap((m) => m.claims.map((c) => c.metadata.name)),
      ...this.configMaps.map((c) => c.metadata.name),
    ]);
  }

  /** The member's role as its own readiness probe reports it, or undefined when it is not serving. */
  public async role(member: ExpandedPod): Promise<Role | undefined> {
    const result = await this.cluster.probe(member, 'readinessProbe');
    return result.ok ? /serving as (\w+)/.exec(result.output)?.[1] as Role : undefined;
  }

  public async roles(members = this.members): Promise<(Role | undefined)[]> {
    return Promise.all(members.map((m) => this.role(m)));
  }

  /** Waits until the members serve with exactly one leader (or one standalone server); returns ms. */
  public async waitForQuorum(timeoutMs: number, members = this.members): Promise<number> {
    const start = Date.now();
    await waitFor(`a quorum of ${members.map((m) => m.name).join(', ')}`, timeoutMs, 200, async () => {
      const roles = await this.roles(members);
      const leaders = roles.filter((r) => r === 'leader' || r === 'standalone').length;
      return leaders === 1 && roles.every((r) => r !== undefined) ? true : undefined;
    });
    return Date.now() - start;
  }

  public async leader(members = this.members): Promise<ExpandedPod> {
    const roles = await this.roles(members);
    const leaders = members.filter((_, i) => roles[i] === 'leader');
    if (leaders.length !== 1) throw new Error(`expected one leader, roles are ${JSON.stringify(roles)}`);
    return leaders[0];
  }

  /**
   * SIGKILLs the member's JVM (found through supervisord's own socket). Returns the kill time in
   * ms, read inside the container right before the kill: `podman exec` itself takes long enough
   * to blur a failover measured in milliseconds. Containers share the host's clock.
   */
  public async killServer(member: ExpandedPod): Promise<number> {
    const conf = this.supervisordConf();
    const pid = (await this.exec(member, ['supervisorctl', '-c', conf, 'pid', ZOOKEEPER_PROGRAM])).trim();
    if (!/^\d+$/.test(pid)) throw new Error(`supervisorctl gave no pid for zookeeper on ${member.name}: ${pid}`);
    const out = await this.exec(member, ['bash', '-c', `printf '%s\\n' "$EPOCHREALTIME"; kill -KILL ${pid}`]);
    return Math.round(Number(out.trim()) * 1000);
  }

  public async exec(member: ExpandedPod, command: string[], timeoutMs?: number): Promise<string> {
    const result = await this.cluster.exec(member.name, command, timeoutMs);
    if (result.code !== 0) throw new Error(`${command.join(' ')} on ${member.name} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  }

  /**
   * A four-letter word's reply, asked over the member's loopback as its probes ask (the word must
   * be in the rendered 4lw.commands.whitelist). Empty when the server is not listening.
   */
  public async fourLetterWord(member: ExpandedPod, word: string): Promise<string> {
    const script = `exec 3<>/dev/tcp/127.0.0.1/${this.clientPort} || exit 0; printf '%s' "$1" >&3; cat <&3`;
    return this.exec(member, ['bash', '-c', script, 'four-letter-word', word]);
  }

  /**
   * An AdminServer command asked inside the member on its own loopback (where zoo.cfg binds it):
   * the HTTP status and the JSON body.
   */
  public async adminCommand(member: ExpandedPod, command: string): Promise<{ status: number; body: any }> {
    const port = Number(this.zooCfgSetting('admin.serverPort'));
    const request = `exec 3<>/dev/tcp/127.0.0.1/${port}; printf 'GET /commands/%s HTTP/1.0\\r\\n\\r\\n' "$1" >&3; cat <&3`;
    const reply = await this.exec(member, ['bash', '-c', request, 'admin-command', command]);
    const status = Number(/^HTTP\/1\.[01] (\d+)/.exec(reply)?.[1]);
    const body = reply.slice(reply.indexOf('\r\n\r\n') + 4);
    return { status, body: body.trim().startsWith('{') ? JSON.parse(body) : body };
  }

  /** A key of the rendered zoo.cfg (from the ConfigMap that holds it). */
  public zooCfgSetting(key: string): string | undefined {
    const zooCfg = this.configMaps.map((c) => c.data?.['zoo.cfg']).find((text) => text !== undefined);
    if (!zooCfg) throw new Error('no ConfigMap holds zoo.cfg');
    return new RegExp(`^${key.replace(/\./g, '\\.')}=(.*)$`, 'm').exec(zooCfg)?.[1];
  }

  /**
   * `mntr` as key -> value with the `zk_` prefix, asked through the AdminServer (`/commands/monitor`,
   * the same values): the four-letter word is whitelisted only where the mntr exporter needs it.
   * Empty when the server is not serving.
   */
  public async mntr(member: ExpandedPod): Promise<Map<string, string>> {
    const { status, body } = await this.adminCommand(member, 'monitor');
    if (status !== 200 || typeof body !== 'object' || body.error) return new Map();
    return new Map(Object.entries(body).filter(([key]) => key !== 'command' && key !== 'error').map(([key, value]) => [`zk_${key}`, String(value)]));
  }


  /** The server's own report of its last election ("LEADER ELECTION TOOK - N MS"), in ms. */
  public async lastElectionMs(member: ExpandedPod): Promise<number | undefined> {
    const matches = [...(await this.cluster.logs(member.name)).matchAll(/LEADER ELECTION TOOK - (\d+) MS/g)];
    return matches.length ? Number(matches[matches.length - 1][1]) : undefined;
  }

  public supervisordConf(): string {
    const { command } = mainContainer(this.members[0]);
    return command[command.indexOf('-c') + 1];
  }

  /** Inspects the main container with a Go template. */
  public inspect(member: ExpandedPod, format: string): Promise<string> {
    return podman(['inspect', '--format', format, this.cluster.containerName(member.name)]).then((s) => s.trim());
  }
}

