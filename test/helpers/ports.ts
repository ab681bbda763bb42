/** A free TCP port on 127.0.0.1, for servers a test starts (never a hard-coded port). */
import { createServer, type AddressInfo } from 'node:net';

/** A port the kernel just handed out on 127.0.0.1 and that is free again when this resolves. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', resolve);
  });
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * `n` consecutive free ports on 127.0.0.1, for a command that listens on a port and the ports after
 * it (standby JobManagers on rest.port + i). Taken below the kernel's ephemeral range (32768 and
 * up), where no outgoing connection takes one of them between this check and the listen.
 */
export async function freePortRun(n: number): Promise<number> {
  const free = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - n));
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = await free(base + i);
    if (ok) return base;
  }
  throw new Error(`no ${n} consecutive free ports between 20000 and 32000 after 100 attempts`);
}
