/**
 * The units holding one chunk: adding, removing and drawing a random sample all cost O(1) per
 * unit touched. A Set would do for membership, but a fair sample of a chunk every one of 200
 * units holds would mean walking all 200 for each of the 64 chunks of every sources question.
 */
export class HolderSet {
  private readonly ids: string[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.ids.length;
  }

  add(id: string): void {
    if (this.index.has(id)) return;
    this.index.set(id, this.ids.length);
    this.ids.push(id);
  }

  delete(id: string): void {
    const at = this.index.get(id);
    if (at === undefined) return;
    const last = this.ids.pop() as string;
    this.index.delete(id);
    if (last !== id) {
      this.ids[at] = last;
      this.index.set(last, at);
    }
  }

  /** Up to `count` holders that `accept` lets through, looked at from a random place on. */
  sample(count: number, accept: (id: string) => boolean, random: () => number = Math.random): string[] {
    const picked: string[] = [];
    const size = this.ids.length;
    const start = Math.floor(random() * size);
    for (let step = 0; step < size && picked.length < count; step += 1) {
      const id = this.ids[(start + step) % size];
      if (accept(id)) picked.push(id);
    }
    return picked;
  }
}
