/**
 * A JobManager in the test process and TaskManager processes (one slot each) that a test may kill
 * with SIGKILL: the cluster of the chaos tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { runJobManager, type JobManagerProcess } from '../../dist/cluster/standalone/jobmanager-main.js';
import type { Logger } from '../../dist/runtime/rpc/transport.js';
import { waitFor } from './wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'process-cluster-secret-0123456789abcdef';

export interface TmProcess {
  child: ChildProcess;
  id: string | undefined;
  exited: Promise<unknown>;
}

export interface ProcessCluster {
  jm: JobManagerProcess;
  tms: TmProcess[];
  /** SIGKILLs a live TaskManager process that runs a task of the job; false when there is none. */
  killOneOf(taskManagerIds: readonly string[]): Promise<boolean>;
  close(): Promise<void>;
}

/** `config`: given to the JobManager and every TaskManager (e.g. s3.* settings). */
export async function startProcessCluster(dir: string, taskManagers: number, config: Record<string, string> = {}): Promise<ProcessCluster> {
  const launcher = path.join(dir, 'taskmanager.mjs');
  fs.writeFileSync(
    launcher,
    `const { Configuration } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/config/index.js')).href)});\n` +
      `const { runTaskManager } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/cluster/standalone/taskmanager-main.js')).href)});\n` +
      `await runTaskManager(Configuration.fromEntries(JSON.parse(process.env.WEIR_TEST_CONFIG)), process.env.WEIR_TEST_JOBMANAGER);\n`,
  );
  const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const jm = await runJobManager(
    Configuration.fromEntries({
      'jobmanager.rpc.address': '127.0.0.1',
      'jobmanager.rpc.port': 0,
      'rest.port': 0,
      'heartbeat.interval': '200 ms',
      'heartbeat.timeout': '2 s',
      'security.cluster.secret': SECRET,
      ...config,
    }),
    { handleSignals: false, log: quiet },
  );
  const tms: TmProcess[] = [];
  for (let i = 0; i < taskManagers; i++) {
    const child = spawn(process.execPath, [launcher], {
      cwd: root,
      env: {
        ...process.env,
        TMPDIR: dir,
        WEIR_TEST_CONFIG: JSON.stringify({
          'security.cluster.secret': SECRET,
          'taskmanager.numberOfTaskSlots': 1,
          'weir.log.level': 'info',
          ...config,
        }),
        WEIR_TEST_JOBMANAGER: jm.rpcAddress,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tm: TmProcess = { child, id: undefined, exited: once(child, 'exit') };
    const onData = (chunk: Buffer): void => {
      const m = / TaskManager (\S+) starting:/.exec(chunk.toString('utf8'));
      if (m) tm.id ??= m[1];
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    tms.push(tm);
  }
  await waitFor('the TaskManagers to register', 30_000, () => jm.rpc.taskManagerIds.length === taskManagers);
  const alive = (x: TmProcess): boolean => x.child.exitCode === null && x.child.signalCode === null;
  return {
    jm,
    tms,
    async killOneOf(ids) {
      const victim = tms.find((x) => x.id !== undefined && ids.includes(x.id) && alive(x));
      if (!victim) return false;
      victim.child.kill('SIGKILL');
      await victim.exited;
      return true;
    },
    async close() {
      for (const x of tms) if (alive(x)) x.child.kill('SIGKILL');
      await Promise.all(tms.map((x) => x.exited));
      await jm.close();
    },
  };
}
