/**
 * Evidence packs kept between requests (GET /incidents/:id/evidence). Assembling one reads about
 * sixteen log filters over the whole ledger and a block per cited block; the answer changes only
 * when something it rests on changes, so it is kept per incident under a `state` string naming all
 * of that (the route says what goes in it), and rebuilt when the state differs. Bounded: past `max`
 * incidents, the least recently asked for is dropped. A build that fails is not kept.
 */
export class EvidenceCache<T> {
  private readonly entries = new Map<number, { state: string; value: Promise<T> }>();

  constructor(private readonly max: number) {}

  /** The value kept for `incidentId` in `state`, or `build()`'s (kept in its place). Concurrent asks share one build. */
  get(incidentId: number, state: string, build: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(incidentId);
    this.entries.delete(incidentId); // re-inserted below: Map order is the recency order
    if (hit?.state === state) {
      this.entries.set(incidentId, hit);
      return hit.value;
    }
    const entry = { state, value: build() };
    this.entries.set(incidentId, entry);
    entry.value.catch(() => this.entries.get(incidentId) === entry && this.entries.delete(incidentId));
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(oldest);
    }
    return entry.value;
  }

  get size(): number {
    return this.entries.size;
  }
}
