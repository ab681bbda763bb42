/**
 * Start-up on Kubernetes, against the test control plane (a real kube-apiserver and
 * kube-controller-manager) with the pod runner of the tests starting each pod's container as a
 * local process: no image pull, no scheduler, no kubelet start-up latency. Measured per run:
 * - application: `weir run -t kubernetes-application` → its job RUNNING (REST), → `weir run` exits
 *   (the cluster has removed itself);
 * - session: `weir kubernetes-session` → it returns (REST answering); `weir run -t
 *   kubernetes-session` → the job RUNNING, the first job with a TaskManager pod to create, the
 *   second with that pod still there.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPLICATION_RULES, startTestBed, weirServiceAccount } from '../../test/helpers/kubernetes/test-bed.js';
import { freePort } from '../../test/helpers/ports.js';
import { waitFor } from '../../test/helpers/wait.js';

export interface KubernetesSuiteOptions {
  runs: number;
}

export interface KubernetesSuiteResult {
  applicationRunningMs: number[];
  applicationExitMs: number[];
  sessionUpMs: number[];
  sessionFirstJobRunningMs: number[];
  sessionNextJobRunningMs: number[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function weir(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'weir.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.once('exit', (code) => r({ code, out })));
}

async function running(restUrl: string, known: Set<string>): Promise<boolean> {
  const r = await fetch(`${restUrl}/jobs/overview`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
  if (!r?.ok) return false;
  const { jobs } = (await r.json()) as { jobs: { jid: string; state: string }[] };
  return jobs.some((j) => !known.has(j.jid) && j.state === 'RUNNING');
}

async function timeToRunning(restUrl: string, started: number, known = new Set<string>()): Promise<number> {
  return waitFor(
    'the job to be RUNNING',
    120_000,
    async () => ((await running(restUrl, known)) ? performance.now() - started : undefined),
    {
      maxIntervalMs: 20,
    },
  );
}

export async function runKubernetesSuite(o: KubernetesSuiteOptions, progress: (s: string) => void): Promise<KubernetesSuiteResult> {
  const dir = mkdtempSync(join(tmpdir(), 'weir-bench-k8s-'));
  const bed = await startTestBed({ manifests: weirServiceAccount(APPLICATION_RULES), dir, nodeName: 'weir-bench-node' });
  const result: KubernetesSuiteResult = {
    applicationRunningMs: [],
    applicationExitMs: [],
    sessionUpMs: [],
    sessionFirstJobRunningMs: [],
    sessionNextJobRunningMs: [],
  };
  try {
    const flags = async (cluster: string): Promise<{ args: string[]; restUrl: string }> => {
      const restPort = await freePort();
      return {
        restUrl: `http://127.0.0.1:${restPort}`,
        args: [
          '-D',
          `kubernetes.config.file=${bed.k8s.kubeconfigPath}`,
          '-D',
          `kubernetes.cluster-id=${cluster}`,
          '-D',
          'kubernetes.service-account=weir',
          '-D',
          `rest.port=${restPort}`,
          '-D',
          `jobmanager.rpc.port=${await freePort()}`,
          '-D',
          'taskmanager.numberOfTaskSlots=2',
          '-D',
          'resourcemanager.taskmanager-timeout=60 s',
        ],
      };
    };
    const job = (n: string): string[] => ['-p', '2', 'test/programs/session-job.ts', '--', '2000', '4000', join(dir, `out-${n}`)];
    for (let i = 1; i <= o.runs; i++) {
      const f = await flags(`weir-bench-app-${i}`);
      const t0 = performance.now();
      const run = weir(['run', '-t', 'kubernetes-application', ...f.args, ...job(`app-${i}`)]);
      const toRunning = await Promise.race([
        timeToRunning(f.restUrl, t0),
        run.then((r) => Promise.reject(new Error(`weir run ended before its job ran (${r.code}): ${r.out.slice(-2000)}`))),
      ]);
      const r = await run;
      if (r.code !== 0) throw new Error(`weir run -t kubernetes-application failed: ${r.out.slice(-2000)}`);
      result.applicationRunningMs.push(toRunning);
      result.applicationExitMs.push(performance.now() - t0);
      progress(
        `  kubernetes application ${i}/${o.runs}: RUNNING ${toRunning.toFixed(0)} ms, exit ${result.applicationExitMs.at(-1)!.toFixed(0)} ms\n`,
      );
    }
    for (let i = 1; i <= o.runs; i++) {
      const cluster = `weir-bench-session-${i}`;
      const f = await flags(cluster);
      const t0 = performance.now();
      const up = await weir(['kubernetes-session', ...f.args]);
      if (up.code !== 0) throw new Error(`weir kubernetes-session failed: ${up.out.slice(-2000)}`);
      result.sessionUpMs.push(performance.now() - t0);
      const client = ['-D', `kubernetes.config.file=${bed.k8s.kubeconfigPath}`, '-D', `kubernetes.cluster-id=${cluster}`];
      const known = new Set<string>();
      for (const [n, into] of [
        ['1', result.sessionFirstJobRunningMs],
        ['2', result.sessionNextJobRunningMs],
      ] as const) {
        const t1 = performance.now();
        const run = weir(['run', '-t', 'kubernetes-session', ...client, ...job(`session-${i}-${n}`)]);
        into.push(await timeToRunning(f.restUrl, t1, known));
        const r = await run;
        if (r.code !== 0) throw new Error(`weir run -t kubernetes-session failed: ${r.out.slice(-2000)}`);
        const overview = (await (await fetch(`${f.restUrl}/jobs/overview`)).json()) as { jobs: { jid: string }[] };
        for (const j of overview.jobs) known.add(j.jid);
      }
      await weir(['kubernetes-session', 'stop', ...client]);
      progress(
        `  kubernetes session ${i}/${o.runs}: up ${result.sessionUpMs.at(-1)!.toFixed(0)} ms, first job RUNNING ${result.sessionFirstJobRunningMs.at(-1)!.toFixed(0)} ms, next ${result.sessionNextJobRunningMs.at(-1)!.toFixed(0)} ms\n`,
      );
    }
  } finally {
    await bed.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

export function reportKubernetesSuite(r: KubernetesSuiteResult, o: KubernetesSuiteOptions): string[] {
  const row = (what: string, xs: number[]): string =>
    `| ${what} | ${(median(xs) / 1000).toFixed(2)} s | ${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)} s |`;
  return [
    '',
    `## Kubernetes start-up (${o.runs} runs each; pods are local processes of the pod runner)`,
    '',
    '| measured | median | min–max |',
    '|---|---|---|',
    row('`weir run -t kubernetes-application` → job RUNNING', r.applicationRunningMs),
    row('`weir run -t kubernetes-application` → exits (cluster removed)', r.applicationExitMs),
    row('`weir kubernetes-session` → REST answering', r.sessionUpMs),
    row('`weir run -t kubernetes-session` → job RUNNING (TaskManager pod created)', r.sessionFirstJobRunningMs),
    row('`weir run -t kubernetes-session` → job RUNNING (TaskManager pod running)', r.sessionNextJobRunningMs),
  ];
}
