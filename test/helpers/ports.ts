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
