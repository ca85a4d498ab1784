/**
 * A TCP proxy on 127.0.0.1 in front of host:port, with faults to inject:
 * cut every live connection (both ways, with a reset), refuse new ones,
 * pause the bytes (a hang: the sockets stay open, nothing moves) and resume.
 * Put it between a client and PostgreSQL to lose the database connection
 * mid-transaction.
 */
import { createServer, connect, type AddressInfo, type Socket } from "node:net";

export interface TcpProxy {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** `target` (a URL such as postgres://u@127.0.0.1:5432/db) with its host and port replaced by the proxy's. */
  url(target: string): string;
  /** Reset every live connection, client side and server side, at once. */
  cutAll(): void;
  /** While on, a new connection is accepted and closed at once, before a byte is forwarded. */
  refuse(on: boolean): void;
  /** Stop forwarding bytes, in both directions, on live and new connections (they stay open). */
  pause(): void;
  resume(): void;
  /** Connections being forwarded now. */
  live(): number;
  /** Connections accepted so far, refused ones included. */
  accepted(): number;
  /** Stop listening and reset what is live. */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

function reset(s: Socket): void {
  if (s.destroyed) return;
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let refusing = false;
  let paused = false;
  let accepted = 0;

  // One direction, by hand rather than pipe(): pause() must hold data even when the other side drains.
  const forward = (from: Socket, to: Socket): void => {
    from.on("data", (chunk) => {
      if (!to.write(chunk)) {
        from.pause();
        to.once("drain", () => {
          if (!paused) from.resume();
        });
      }
    });
    from.on("end", () => {
      if (!to.destroyed) to.end();
    });
  };

  const server = createServer((client) => {
    accepted += 1;
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port });
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    if (paused) {
      client.pause();
      upstream.pause();
    }
    forward(client, upstream);
    forward(upstream, client);
    const drop = (): void => {
      pairs.delete(pair);
      reset(client);
      reset(upstream);
    };
    client.on("error", drop);
    upstream.on("error", drop);
    client.on("close", () => {
      pairs.delete(pair);
      if (!upstream.destroyed) upstream.destroy();
    });
    upstream.on("close", () => {
      pairs.delete(pair);
      if (!client.destroyed) client.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const cutAll = (): void => {
    for (const p of [...pairs]) {
      pairs.delete(p);
      reset(p.client);
      reset(p.upstream);
    }
  };

  return {
    host: "127.0.0.1",
    port,
    url(t: string) {
      const u = new URL(t);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.toString();
    },
    cutAll,
    refuse(on: boolean) {
      refusing = on;
    },
    pause() {
      paused = true;
      for (const p of pairs) {
        p.client.pause();
        p.upstream.pause();
      }
    },
    resume() {
      paused = false;
      for (const p of pairs) {
        p.client.resume();
        p.upstream.resume();
      }
    },
    live: () => pairs.size,
    accepted: () => accepted,
    close() {
      cutAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
