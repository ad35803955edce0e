// The figures measured for each image in the same run, printed side by side after the summary.
import type { FailoverRun } from './scenarios';

export interface FlavourFigures {
  readonly label: string;
  /** From the first `kube play` until one leader and every other member serving. */
  quorumMs?: number;
  readonly failovers: FailoverRun[];
  /** Uncompressed, as `podman image inspect` reports it. */
  imageBytes?: number;
}

export function newFigures(label: string): FlavourFigures {
  return { label, failovers: [] };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

function medianAndMax(values: (number | undefined)[]): string {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? `${median(known).toFixed(0)} ms (max ${Math.max(...known).toFixed(0)})` : '-';
}

/** One line per figure, one column per image. */
export function figuresTable(all: readonly FlavourFigures[]): string {
  const rows: [string, (f: FlavourFigures) => string][] = [
    ['time to quorum (from kube play)', (f) => (f.quorumMs === undefined ? '-' : `${(f.quorumMs / 1000).toFixed(1)} s`)],
    ['leader election after SIGKILL (server log)', (f) => medianAndMax(f.failovers.map((r) => r.electionMs))],
    ['new leader serving (readiness probe)', (f) => medianAndMax(f.failovers.map((r) => r.newLeaderMs))],
    ['write gap (last ack before, first after)', (f) => medianAndMax(f.failovers.map((r) => r.gapMs))],
    ['killed leader serving again (rejoin)', (f) => medianAndMax(f.failovers.map((r) => r.rejoinMs))],
    ['image size (uncompressed)', (f) => (f.imageBytes === undefined ? '-' : `${Math.round(f.imageBytes / 1e6)} MB`)],
  ];
  const runs = Math.max(0, ...all.map((f) => f.failovers.length));
  const cells = [[`figure (median of ${runs} runs, max)`, ...all.map((f) => f.label)], ...rows.map(([name, cell]) => [name, ...all.map(cell)])];
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
