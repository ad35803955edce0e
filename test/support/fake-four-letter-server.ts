import * as net from 'net';

/**
 * How the fake server treats one four-letter command. ZooKeeper reads the command, writes its
 * whole answer and closes the connection; the other kinds imitate a server that is broken or busy.
 */
export type Answer =
  | { readonly kind: 'reply'; readonly text: string; readonly afterMs: number }
  /** Reads the command and closes without writing a byte (a server that is shutting down). */
  | { readonly kind: 'close' }
  /** Accepts and reads, then neither answers nor closes (a server stuck in a long GC pause). */
  | { readonly kind: 'silent' };

export const reply = (text: string, afterMs = 0): Answer => ({ kind: 'reply', text, afterMs });
export const closeWithoutAnswer = (): Answer => ({ kind: 'close' });
export const neverAnswer = (): Answer => ({ kind: 'silent' });

/** What ZooKeeper 3.8 answers to a command left out of 4lw.commands.whitelist. */
export const notWhitelisted = (command: string): Answer => reply(`${command} is not executed because it is not in the whitelist.\n`);

export interface FakeFourLetterServer {
  /** The port on 127.0.0.1, chosen by the OS. */
  readonly port: number;
  /** Every command received so far, in order. */
  readonly received: readonly string[];
  close(): Promise<void>;
}

/**
 * A TCP server on 127.0.0.1 that answers four-letter words like ZooKeeper's client port does.
 * Commands without an entry in `answers` get ZooKeeper's not-whitelisted reply, so a probe that
 * sends the wrong command fails the way it would against a real server.
 */
export async function startFakeFourLetterServer(answers: Readonly<Record<string, Answer>>): Promise<FakeFourLetterServer> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A probe killed mid-conversation resets the connection; that is not the test's failure.
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (chunk) => {
      if (buffered.length >= 4) return;
      buffered += chunk.toString('latin1');
      if (buffered.length < 4) return;
      const command = buffered.slice(0, 4);
      received.push(command);
      const answer = answers[command] ?? notWhitelisted(command);
      switch (answer.kind) {
        case 'close':
          socket.end();
          break;
        case 'silent':
          break;
        case 'reply': {
          const timer = setTimeout(() => {
            timers.delete(timer);
            socket.end(answer.text);
          }, answer.afterMs);
          timers.add(timer);
          break;
        }
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    received,
    close: () => new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago): connections are refused. */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
