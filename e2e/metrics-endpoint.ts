// A stand-in exporter the live Prometheus scrapes in place of one the test bed lacks (the kubelet's
// volume stats, kube-state-metrics): what `render` gives at the time of each scrape, served at
// http://127.0.0.1:<port>/metrics, scraped like kube-prometheus scrapes the real one (honorLabels:
// the series carry their own namespace).
import * as http from 'http';
import * as net from 'net';

export class MetricsEndpoint {
  private constructor(private readonly server: http.Server, public readonly address: string, private readonly job: string) {}

  /** Serves `render()` as the scrape job `job`. */
  public static async start(job: string, render: () => string): Promise<MetricsEndpoint> {
    const server = http.createServer((request, response) => {
      if (request.url !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(render());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return new MetricsEndpoint(server, `127.0.0.1:${(server.address() as net.AddressInfo).port}`, job);
  }

  public scrapeConfig(): unknown {
    return { job_name: this.job, honor_labels: true, scrape_interval: '5s', static_configs: [{ targets: [this.address] }] };
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
