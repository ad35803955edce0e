// A real Prometheus (Debian's 2.42, unpacked by test/setup-tools.sh) on 127.0.0.1, scraping the
// e2e members and evaluating the synthesized alert rules. The harness talks to it only through its
// HTTP API, as an operator's tooling would.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { stringify } from 'yaml';
import { requirePrometheusTool } from '../test/support/tools';
import { waitFor } from './podman';


export interface ActiveAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: 'pending' | 'firing';
  readonly activeAt: string;
}

export interface Target {
  readonly scrapePool: string;
  readonly labels: Record<string, string>;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
}

export class PrometheusServer {
  private child?: ChildProcess;
  private log = '';
  private port = 0;

  constructor(private readonly workdir: string) {}

  /**
   * Starts Prometheus with the given scrape configs and rule groups. Rules are evaluated every
   * `evaluationSeconds` (the PrometheusRule's own group interval wins where set).
   */
  public async start(scrapeConfigs: unknown[], ruleGroups: unknown[], evaluationSeconds: number): Promise<void> {
    fs.mkdirSync(this.workdir, { recursive: true });
    const rulesFile = path.join(this.workdir, 'rules.yaml');
    fs.writeFileSync(rulesFile, stringify({ groups: ruleGroups }));
    const configFile = path.join(this.workdir, 'prometheus.yml');
    fs.writeFileSync(configFile, stringify({
      global: { scrape_interval: '5s', evaluation_interval: `${evaluationSeconds}s` },
      rule_files: [rulesFile],
      scrape_configs: scrapeConfigs,
    }));
    this.port = await freePort();
    this.child = spawn(requirePrometheusTool('prometheus'), [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(this.workdir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => { this.log = (this.log + chunk.toString()).slice(-20_000); };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    await waitFor('Prometheus to be ready', 30_000, 200, async () => {
      if (this.child?.exitCode !== null) throw new Error(`prometheus exited ${this.child?.exitCode}:\n${this.log}`);
      return (await fetch(this.url('/-/ready')).then((r) => r.ok).catch(() => false)) || undefined;
    });
  }

  public async targets(): Promise<Target[]> {
    const data = await this.api<{ activeTargets: Target[] }>('/api/v1/targets?state=active');
    return data.activeTargets;
  }

  /** The alerting rules loaded, with their health and last evaluation, as the API reports them. */
  public async alertingRules(): Promise<{ name: string; labels?: Record<string, string>; health: string; lastError?: string; lastEvaluation: string }[]> {
    const data = await this.api<{ groups: { rules: { type: string; name: string; labels?: Record<string, string>; health: string; lastError?: string; lastEvaluation: string }[] }[] }>('/api/v1/rules?type=alert');
    return data.groups.flatMap((g) => g.rules);
  }

  /** Pending and firing alerts, as the API reports them. */
  public async alerts(): Promise<ActiveAlert[]> {
    return (await this.api<{ alerts: ActiveAlert[] }>('/api/v1/alerts')).alerts;
  }

  /** An instant query's vector result. */
  public async query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const data = await this.api<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    if (data.resultType !== 'vector') throw new Error(`${expr}: a ${data.resultType}, not a vector`);
    return data.result;
  }

  public tail(): string {
    return this.log;
  }

  public async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private url(route: string): string {
    return `http://127.0.0.1:${this.port}${route}`;
  }

  private async api<T>(route: string): Promise<T> {
    const response = await fetch(this.url(route));
    const body = await response.json() as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${route}: ${body.error ?? response.status}`);
    return body.data;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
