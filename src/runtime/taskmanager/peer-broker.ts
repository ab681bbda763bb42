/**
 * Connects slot workers of one process to each other: when a worker asks for a peer, the broker
 * makes a MessageChannel and gives one end to each side (once per pair). A peer that is not there
 * yet is connected when it registers. The distributed runtime adds TaskManager-to-TaskManager TCP
 * connections behind the same request.
 */
import { MessageChannel, type Worker } from 'node:worker_threads';
import type { ToSlotWorker } from '../rpc/messages.js';

export class PeerBroker {
  private readonly workers = new Map<string, Worker>();
  private readonly connected = new Set<string>();
  private readonly waiting = new Map<string, string[]>();

  register(address: string, worker: Worker): void {
    this.workers.set(address, worker);
    const w = this.waiting.get(address);
    if (w) {
      this.waiting.delete(address);
      for (const from of w) this.connect(from, address);
    }
  }

  unregister(address: string): void {
    this.workers.delete(address);
    this.waiting.delete(address);
    for (const k of [...this.connected]) if (k.split('|').includes(address)) this.connected.delete(k);
  }

  connect(from: string, to: string): void {
    const key = from < to ? `${from}|${to}` : `${to}|${from}`;
    if (this.connected.has(key)) return;
    const a = this.workers.get(from);
    const b = this.workers.get(to);
    if (!a) return;
    if (!b) {
      if (!this.waiting.has(to)) this.waiting.set(to, []);
      this.waiting.get(to)!.push(from);
      return;
    }
    this.connected.add(key);
    const { port1, port2 } = new MessageChannel();
    a.postMessage({ type: 'connect', peer: to, port: port1 } satisfies ToSlotWorker, [port1]);
    b.postMessage({ type: 'connect', peer: from, port: port2 } satisfies ToSlotWorker, [port2]);
  }
}
