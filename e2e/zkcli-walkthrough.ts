// The README's zkCli walkthrough (seed 004's session), run as written: its kubectl commands become
// `podman exec` into the same pod and container, its session lines are typed into the interactive
// session one by one, each waiting for zkCli's next prompt. Only the pod names change for
// ensembles not called `zookeeper` (the TLS and SASL scenarios'). What the README promises is
// then checked in the session's output: the data, the listing, the watch firing, and the delete.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PodmanCluster } from './cluster';
import { Ensemble } from './ensemble';
import { CONTAINERS_CONF, podmanRaw, waitFor } from './podman';

type Step = { kind: 'shell'; command: string } | { kind: 'session'; lines: string[] };

const README = path.join(__dirname, '..', 'README.md');
const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };

/** The walkthrough's fenced blocks between its markers: `sh` blocks are commands, plain ones session input. */
export function readWalkthrough(readme = fs.readFileSync(README, 'utf8')): Step[] {
  const section = /<!-- zkcli-walkthrough[^>]*-->([\s\S]*?)<!-- end of zkcli-walkthrough -->/.exec(readme)?.[1];
  if (!section) throw new Error('README.md has no zkcli-walkthrough section');
  return [...section.matchAll(/```(sh)?\n([\s\S]*?)```/g)].flatMap((m): Step[] => {
    const lines = m[2].split('\n').filter((line) => line.trim() !== '');
    return m[1] === 'sh' ? lines.map((command) => ({ kind: 'shell', command })) : [{ kind: 'session', lines }];
  });
}

/** `kubectl -n NS exec [-it] POD -c CONTAINER -- ARGS...` as the podman exec of the same pod and container. */
function podmanExec(command: string, cluster: PodmanCluster, ensemble: Ensemble): { args: string[]; interactive: boolean } {
  const m = /^kubectl -n \S+ exec( -it)? zookeeper-(\d+) -c (\S+) -- (.+)$/.exec(command);
  if (!m) throw new Error(`the walkthrough has a command the harness cannot play: ${command}`);
  const pod = ensemble.members[Number(m[2])].name;
  return { interactive: m[1] !== undefined, args: ['exec', ...(m[1] ? ['-i'] : []), cluster.containerName(pod, m[3]), ...m[4].split(' ')] };
}

/**
 * The session's output on one line (the summary shows a failure's first line only), the client's
 * warnings after it.
 */
function sessionText(output: string, warnings: string): string {
  return `${JSON.stringify(output.replace(/\r/g, ''))}${warnings.trim() ? `; stderr: ${JSON.stringify(warnings.trim())}` : ''}`;
}

/** Every member serving, and the leader's synced followers all the other voters. */
async function waitForSyncedEnsemble(ensemble: Ensemble): Promise<void> {
  await ensemble.waitForQuorum(120_000);
  const roles = await ensemble.roles();
  const leader = ensemble.members[roles.indexOf('leader')];
  if (!leader) return;
  const followers = roles.filter((role) => role === 'follower').length;
  await waitFor(`${leader.name} to count ${followers} synced followers`, 60_000, 200, async () =>
    (Number((await ensemble.mntr(leader)).get('zk_synced_followers')) === followers || undefined));
}

/** Runs the walkthrough against `ensemble`; returns what it saw. */
export async function zkCliWalkthrough(cluster: PodmanCluster, ensemble: Ensemble): Promise<string> {
  const steps = readWalkthrough();
  // The walkthrough is for a healthy ensemble: earlier scenarios kill and restart members, so wait
  // until every member serves and the leader counts every voter as synced.
  await waitForSyncedEnsemble(ensemble);
  // stdout is the session as the user reads it; stderr (the client's warnings) arrives on its own
  // stream, so it is kept apart rather than interleaved at random into the session.
  let output = '';
  let warnings = '';
  let session: ReturnType<typeof spawn> | undefined;
  let exited: Promise<number | null> | undefined;
  let typed = 0;
  const start = Date.now();
  try {
    for (const step of steps) {
      if (step.kind === 'shell') {
        const { args, interactive } = podmanExec(step.command, cluster, ensemble);
        if (interactive) {
          session = spawn('podman', args, { env: { ...process.env, CONTAINERS_CONF }, stdio: ['pipe', 'pipe', 'pipe'] });
          session.stdout!.on('data', (d) => { output += d; });
          session.stderr!.on('data', (d) => { warnings += d; });
          exited = new Promise((resolve) => session!.on('close', resolve));
          // The first prompt may come before the session (a TLS handshake, a SASL login): wait for both.
          await waitFor('the zkCli session', 60_000, 100, async () =>
            (/\(\w+\) 0\]/.test(output) && /WatchedEvent state:SyncConnected type:None/.test(output)) || undefined);
          continue;
        }
        const result = await podmanRaw(args, 60_000);
        expect(result.code === 0, `${step.command} exited ${result.code}: ${result.stderr}`);
        // What the README says the first session prints now.
        await waitFor('the watch to fire in the first session', 30_000, 100, async () =>
          (/WatchedEvent state:SyncConnected type:NodeDataChanged path:\/demo/.test(output) || undefined));
        continue;
      }
      expect(session !== undefined, 'the walkthrough types into a session before opening one');
      for (const line of step.lines) {
        session!.stdin!.write(`${line}\n`);
        typed++;
        if (line === 'quit') break;
        await waitFor(`zkCli to answer '${line}'`, 30_000, 50, async () => (new RegExp(`\\(CONNECTED\\) ${typed}\\]`).test(output) || undefined));
      }
    }
    const code = await waitFor('the session to end after quit', 30_000, 100, () => Promise.race([exited!, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]));
    expect(code === 0, `the zkCli session exited ${code}:\n${output}`);
  } catch (error) {
    throw new Error(`${(error as Error).message}; the session so far: ${sessionText(output, warnings)}`);
  } finally {
    session?.kill();
  }
  // What the session showed, in order: the value, the listing, the watch, the new value.
  const shown = output.replace(/\r/g, '');
  const order = [/\] get \/demo\nhello\n/, /\] ls \/\n\[[^\]\n]*\bdemo\b[^\]\n]*\]\n/, /\] get -w \/demo\nhello\n/,
    /WatchedEvent state:SyncConnected type:NodeDataChanged path:\/demo/, /get \/demo\nworld\n/, /\] delete \/demo\n/];
  let at = 0;
  for (const wanted of order) {
    const found = wanted.exec(shown.slice(at));
    expect(found !== null, `the session did not show ${wanted} after position ${at}: ${sessionText(output, warnings)}`);
    at += found!.index + found![0].length;
  }
  const after = await podmanRaw(podmanExec(`kubectl -n x exec zookeeper-0 -c zookeeper -- bash /scripts/zk-cli.sh ls /`, cluster, ensemble).args, 60_000);
  expect(after.code === 0 && !/\bdemo\b/.test(after.stdout), `/demo is still listed after the walkthrough deleted it: ${after.stdout}`);
  const connected = /Connecting to (\S+)/.exec(shown)?.[1];
  return `${typed} session lines and ${steps.filter((s) => s.kind === 'shell').length} commands as in the README, ${((Date.now() - start) / 1000).toFixed(1)} s; `
    + `connected to ${connected}; value, listing, watch (NodeDataChanged), new value and delete as promised`;
}
