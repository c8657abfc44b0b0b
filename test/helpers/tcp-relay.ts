/**
 * A TCP relay in front of a server, that the test can cut and restore: how a test takes one process
 * off the network (its etcd connections, say) while everything else stays connected. A cut is
 * silent, like a link that went down: relayed connections stay open but carry nothing either way,
 * and new ones are accepted and left hanging, so the client learns of it only by its own timeouts.
 * restore() drops those dead connections (as a peer's TCP would once the link is back and its
 * retransmissions fail) and relays new ones again. A real TCP path, not a stand-in for the server.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpRelay {
  readonly port: number;
  readonly url: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpRelay(targetHost: string, targetPort: number, host = '127.0.0.1'): Promise<TcpRelay> {
  const open = new Set<Socket>();
  const hanging = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (cut) {
      hanging.add(client);
      client.pause();
      return;
    }
    const upstream = createConnection({ host: targetHost, port: targetPort });
    open.add(client);
    open.add(upstream);
    const end = () => {
      for (const s of [client, upstream]) {
        open.delete(s);
        s.destroy();
      }
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://${host}:${port}`,
    cut: () => {
      cut = true;
      for (const s of open) {
        s.unpipe();
        s.pause();
        hanging.add(s);
      }
      open.clear();
    },
    restore: () => {
      cut = false;
      for (const s of hanging) s.resetAndDestroy();
      hanging.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of [...open, ...hanging]) s.destroy();
        server.close(() => resolve());
      }),
  };
}
