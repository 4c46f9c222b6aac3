// Event queue: a binary min-heap ordered by (timeUs, seq). The sequence number is the
// insertion counter, so events scheduled for the same microsecond run in the order they were
// scheduled — determinism depends on it. Parallel arrays keep the heap free of per-entry objects
// beyond the payload itself.

export class EventQueue<T> {
  private times: number[] = [];
  private seqs: number[] = [];
  private items: T[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.items.length;
  }

  push(timeUs: number, item: T): void {
    const seq = this.nextSeq++;
    let i = this.items.length;
    this.times.push(timeUs);
    this.seqs.push(seq);
    this.items.push(item);
    // Sift up.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(timeUs, seq, this.times[parent]!, this.seqs[parent]!)) break;
      this.times[i] = this.times[parent]!;
      this.seqs[i] = this.seqs[parent]!;
      this.items[i] = this.items[parent]!;
      i = parent;
    }
    this.times[i] = timeUs;
    this.seqs[i] = seq;
    this.items[i] = item;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTimeUs(): number {
    return this.items.length === 0 ? Infinity : this.times[0]!;
  }

  /** Removes and returns the earliest item. The caller reads its time with peekTimeUs first. */
  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0]!;
    const lastTime = this.times.pop()!;
    const lastSeq = this.seqs.pop()!;
    const lastItem = this.items.pop()!;
    if (n > 1) {
      // Sift the last element down from the root.
      const size = n - 1;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= size) break;
        const right = left + 1;
        let child = left;
        if (right < size && this.less(this.times[right]!, this.seqs[right]!, this.times[left]!, this.seqs[left]!)) {
          child = right;
        }
        if (!this.less(this.times[child]!, this.seqs[child]!, lastTime, lastSeq)) break;
        this.times[i] = this.times[child]!;
        this.seqs[i] = this.seqs[child]!;
        this.items[i] = this.items[child]!;
        i = child;
      }
      this.times[i] = lastTime;
      this.seqs[i] = lastSeq;
      this.items[i] = lastItem;
    }
    return top;
  }

  private less(t1: number, s1: number, t2: number, s2: number): boolean {
    return t1 < t2 || (t1 === t2 && s1 < s2);
  }
}
