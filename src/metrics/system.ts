/**
 * Process metrics, the Node equivalents of Flink's Status.JVM.* (MetricUtils.instantiateStatusMetrics):
 * CPU load and time, heap used/committed/max, garbage collection count and time, threads (the
 * process's worker threads), plus what only Node has: resident set size and event-loop delay.
 */
import { cpus } from 'node:os';
import { PerformanceObserver, monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { MetricGroup } from './group.js';
import type { View } from './types.js';

/** Share of the machine's CPU the process used since the last update (Flink's Status.JVM.CPU.Load, 0..1). */
class CpuLoad implements View {
  private last = process.cpuUsage();
  private lastAt = performance.now();
  value = 0;
  update(): void {
    const now = performance.now();
    const u = process.cpuUsage();
    const used = (u.user - this.last.user + u.system - this.last.system) / 1000;
    const elapsed = now - this.lastAt;
    this.value = elapsed > 0 ? Math.min(1, used / elapsed / Math.max(1, cpus().length)) : 0;
    this.last = u;
    this.lastAt = now;
  }
  getValue(): number {
    return this.value;
  }
}

export interface SystemMetricsOptions {
  /** Threads besides the main one (a TaskManager's slot workers). */
  threads?: () => number;
}

/** Registers the process metrics on `group` (a JobManager's or TaskManager's); returns a function that stops the samplers. */
export function registerSystemMetrics(group: MetricGroup, options: SystemMetricsOptions = {}): () => void {
  const status = group.addGroup('Status');
  const jvm = status.addGroup('JVM');
  const cpu = jvm.addGroup('CPU');
  const load = new CpuLoad();
  cpu.gauge('Load', load);
  group.registry.onRegister(load);
  cpu.gauge('Time', () => {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000; // ns, as Flink
  });
  const heap = jvm.addGroup('Memory').addGroup('Heap');
  heap.gauge('Used', () => getHeapStatistics().used_heap_size);
  heap.gauge('Committed', () => getHeapStatistics().total_heap_size);
  heap.gauge('Max', () => getHeapStatistics().heap_size_limit);
  jvm.addGroup('Threads').gauge('Count', () => 1 + (options.threads?.() ?? 0));
  const gc = { count: 0, time: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.time += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const all = jvm.addGroup('GarbageCollector').addGroup('All');
  all.gauge('Count', () => gc.count);
  all.gauge('Time', () => Math.round(gc.time));
  const node = status.addGroup('Node');
  node.addGroup('Memory').gauge('RSS', () => process.memoryUsage.rss());
  const delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const loop = node.addGroup('EventLoop').addGroup('Delay');
  const ms = (ns: number): number => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);
  loop.gauge('Mean', () => ms(delay.mean));
  loop.gauge('Max', () => ms(delay.max));
  loop.gauge('P99', () => ms(delay.percentile(99)));
  return () => {
    obs.disconnect();
    delay.disable();
  };
}
