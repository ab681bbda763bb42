/**
 * `weir run -t kubernetes-application`: bundles the program and starts an Application cluster on
 * Kubernetes (providers/kubernetes/application.ts). Attached, it prints each job's progress and
 * result and the application's end, and returns once the cluster has removed itself; detached
 * (`-d`), it prints the cluster id and REST address once the cluster is up.
 */
import type { Configuration } from '../../config/index.js';
import type { JobResult } from '../../runtime/jobmanager/job-master.js';
import { dashboardUrl, watchProgress } from './progress.js';

export async function runKubernetesApplicationCli(
  o: { file: string; args: string[]; config: Configuration; parallelism: number | undefined; detached: boolean },
  printResult: (r: JobResult, logs: string) => void,
): Promise<void> {
  const [{ bundleProgram }, { runKubernetesApplication }] = await Promise.all([
    import('../../client/bundler.js'),
    import('../../providers/kubernetes/application.js'),
  ]);
  const config = o.config.clone();
  if (o.parallelism !== undefined) config.set('parallelism.default', o.parallelism, '-p');
  const t0 = Date.now();
  const bundle = await bundleProgram(o.file);
  const watchers = new Map<string, () => void>();
  let restUrl: string | undefined;
  const run = await runKubernetesApplication(
    { config, bundle, program: o.file, args: o.args, detached: o.detached },
    {
      onDeployed: (c) => {
        restUrl = c.restUrl;
        (o.detached ? process.stdout : process.stderr).write(
          `Started the Kubernetes application cluster ${c.clusterId} in namespace ${c.namespace} in ${Date.now() - t0} ms — REST API at ${c.restUrl}\n`,
        );
        if (o.detached)
          process.stdout.write(
            `It removes itself when the application has ended; stop it earlier: weir kubernetes-session stop -D kubernetes.cluster-id=${c.clusterId}\n`,
          );
      },
      onJob: (jobId, cluster) => {
        process.stderr.write(`The application submitted job ${jobId}${restUrl ? ` — ${dashboardUrl(restUrl, jobId)}` : ''}\n`);
        watchers.set(jobId, watchProgress({ jobId, cluster }));
      },
      onJobResult: (r) => {
        watchers.get(r.jobId)?.();
        printResult(r, 'removed with the application cluster (set jobmanager.archive.dir to a shared file system to keep them)');
      },
    },
  ).finally(() => {
    for (const stop of watchers.values()) stop();
  });
  if (o.detached) return;
  const s = run.status!;
  process.stderr.write(
    `Application ${s.id} ${s.status}: ${s.jobs.length} job(s)${s.error ? ` — ${s.error}` : ''}` +
      `${run.tornDown ? `; the cluster ${run.cluster.clusterId} has removed itself` : ''}\n`,
  );
  const byProgram = new Set(s.cancelledByProgram ?? []);
  if (s.status !== 'FINISHED' || run.results.some((r) => r.status !== 'FINISHED' && !(r.status === 'CANCELED' && byProgram.has(r.jobId))))
    process.exitCode = 1;
}
