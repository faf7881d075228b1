import { createServer } from 'node:net';

/** The only interface the embedded runtime listens on. */
export const LOCAL_HOST = '127.0.0.1';

/** Raised when no free port could be obtained from the operating system. */
export class PortAllocationError extends Error {
  override readonly name = 'PortAllocationError';
}

/**
 * Asks the operating system for a free TCP port on {@link LOCAL_HOST} (binds port 0, reads the port,
 * releases it). There is an unavoidable window between release and the caller's own bind; callers
 * that spawn a process on the port should retry on `EADDRINUSE`.
 * @param host - interface to probe, `127.0.0.1` by default
 * @returns a port number that was free a moment ago
 * @throws PortAllocationError when the bind fails
 */
export function findFreePort(host: string = LOCAL_HOST): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err) => reject(new PortAllocationError(`cannot bind ${host}:0: ${err.message}`)));
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        if (port > 0) resolve(port);
        else reject(new PortAllocationError(`no port reported for ${host}:0`));
      });
    });
  });
}

/**
 * Returns `count` distinct free ports on {@link LOCAL_HOST}. All probe sockets are held open together,
 * so the ports are distinct from each other.
 * @param count - how many ports (1..16)
 * @throws PortAllocationError when the bind fails or `count` is out of range
 */
export async function findFreePorts(count: number, host: string = LOCAL_HOST): Promise<number[]> {
  if (!Number.isInteger(count) || count < 1 || count > 16) {
    throw new PortAllocationError(`findFreePorts: count must be an integer in 1..16, got ${count}`);
  }
  const servers = Array.from({ length: count }, () => createServer());
  try {
    const ports = await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.unref();
            server.once('error', (err) => reject(new PortAllocationError(`cannot bind ${host}:0: ${err.message}`)));
            server.listen({ port: 0, host, exclusive: true }, () => {
              const address = server.address();
              resolve(typeof address === 'object' && address ? address.port : 0);
            });
          }),
      ),
    );
    if (ports.some((p) => p <= 0)) throw new PortAllocationError(`no port reported for ${host}:0`);
    return ports;
  } finally {
    await Promise.all(
      servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))),
    );
  }
}
