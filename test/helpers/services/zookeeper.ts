/**
 * A real ZooKeeper (Debian's zookeeper, run by Java 17) standalone on a free loopback port with a
 * fresh data directory. tickTime 200 ms, so sessions may be as short as 0.4 s (2 x tickTime) and a
 * session expires at most one tick after its timeout.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../ports.js';
import { ensureInstalled, startServer, type ServerProcess } from './server-process.js';

export interface ZooKeeperServer extends ServerProcess {
  /** The connection string, e.g. 127.0.0.1:21810. */
  readonly quorum: string;
}

function ruok(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write('ruok'));
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out === 'imok'));
    s.on('error', () => resolve(false));
    s.setTimeout(1000, () => s.destroy());
  });
}

export async function startZooKeeper(): Promise<ZooKeeperServer> {
  await ensureInstalled('zookeeper', () => existsSync('/usr/share/java/zookeeper.jar') && existsSync('/usr/bin/java'));
  const port = await freePort();
  const server = await startServer({
    name: 'zookeeper',
    command: '/usr/bin/java',
    args: (dir) => {
      mkdirSync(join(dir, 'data'), { recursive: true });
      const cfg = join(dir, 'zoo.cfg');
      writeFileSync(
        cfg,
        [
          'tickTime=200',
          'minSessionTimeout=1000',
          `dataDir=${join(dir, 'data')}`,
          `clientPort=${port}`,
          'clientPortAddress=127.0.0.1',
          'admin.enableServer=false',
          '4lw.commands.whitelist=ruok',
          '',
        ].join('\n'),
      );
      return [
        '-Dzookeeper.log.dir=' + dir,
        '-Dzookeeper.root.logger=WARN,CONSOLE',
        '-Xmx256m',
        '-cp',
        '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar',
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        cfg,
      ];
    },
    ready: () => ruok(port),
  });
  return Object.assign(server, { quorum: `127.0.0.1:${port}` });
}
