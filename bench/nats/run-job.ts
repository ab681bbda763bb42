/** Runs the benchmark job on a local mini-cluster in this process and prints its wall and CPU time as JSON. */
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';
import { Configuration } from '../../dist/config/index.js';

const args = process.argv.slice(2);
const cluster = new LocalMiniCluster({ slotsPerTaskManager: Number(args[3] ?? 1) });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const r = await runProgram({
  program: new URL('./pipe-program.ts', import.meta.url).pathname,
  args,
  cluster,
  config: Configuration.fromEntries({}),
});
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await cluster.close();
process.stdout.write(JSON.stringify({ status: r.results[0]!.status, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\n');
