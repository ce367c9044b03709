// Starting the HTTP listener: a taken port is a clear error naming the port and the setting.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { listenHttp, PortInUseError } from '../../src/http/listen.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function closeLater(server: net.Server | Server): void {
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
}

/** Something else holding a port on 127.0.0.1 (a controller left running). */
async function takenPort(): Promise<number> {
  const other = net.createServer();
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  closeLater(other);
  return (other.address() as AddressInfo).port;
}

describe('listenHttp', () => {
  it('serves on a free port and gives the server once it listens', async () => {
    const server = await listenHttp((_req, res) => res.end('ok'), 0, '127.0.0.1');
    closeLater(server);
    const { port } = server.address() as AddressInfo;
    expect(port).toBeGreaterThan(0);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
  });

  it('rejects a taken port with an error naming the port, the host and HTTP_PORT', async () => {
    const port = await takenPort();
    const started = listenHttp((_req, res) => res.end('ok'), port, '127.0.0.1');
    await expect(started).rejects.toBeInstanceOf(PortInUseError);
    await expect(started).rejects.toThrow(
      `HTTP_PORT ${port} on 127.0.0.1 is already in use (another controller running?); set HTTP_PORT to a free port`,
    );
    const err = (await started.catch((e: unknown) => e)) as PortInUseError;
    expect(err).toMatchObject({ port, host: '127.0.0.1' });
    expect((err.cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
  });

  it('passes other listen errors on unchanged', async () => {
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine.
    await expect(listenHttp((_req, res) => res.end('ok'), 0, '192.0.2.1')).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
  });
});
