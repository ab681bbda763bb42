/** A real etcd (Debian's etcd-server) on free loopback ports with a fresh data directory. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../ports.js';
import { ensureInstalled, startServer, type ServerProcess } from './server-process.js';

export interface EtcdServer extends ServerProcess {
  /** The client URL, e.g. http://127.0.0.1:23790. */
  readonly endpoint: string;
}

export async function startEtcd(): Promise<EtcdServer> {
  await ensureInstalled('etcd', () => existsSync('/usr/bin/etcd'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const server = await startServer({
    name: 'etcd',
    command: '/usr/bin/etcd',
    args: (dir) => [
      '--name',
      'weir-test',
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      endpoint,
      '--advertise-client-urls',
      endpoint,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-cluster',
      `weir-test=http://127.0.0.1:${peerPort}`,
      '--log-level',
      'warn',
    ],
    ready: async () => (await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) })).ok,
  });
  return Object.assign(server, { endpoint });
}
