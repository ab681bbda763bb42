/**
 * A reusable "something changed" promise: readers hand it out from isAvailable() and resolve it
 * when data, splits or an error arrive. Availability itself is decided from state, never from
 * whether the promise resolved, so a notify() that comes before wait() is never lost.
 */
export class AvailabilitySignal {
  private pending: { promise: Promise<void>; resolve: () => void } | undefined;

  wait(): Promise<void> {
    if (!this.pending) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.pending = { promise, resolve };
    }
    return this.pending.promise;
  }

  notify(): void {
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      p.resolve();
    }
  }
}
