import { HolderSet } from './holder-set';

describe('HolderSet', () => {
  it('adds each holder once and removes any of them, keeping the rest', () => {
    const set = new HolderSet();
    for (const id of ['a', 'b', 'c', 'd', 'b']) set.add(id);
    expect(set.size).toBe(4);
    set.delete('a');
    set.delete('x');
    expect(set.size).toBe(3);
    expect(set.sample(10, () => true).sort()).toEqual(['b', 'c', 'd']);
    set.delete('d');
    set.delete('b');
    expect(set.sample(10, () => true)).toEqual(['c']);
  });

  it('draws from a random place on, skipping those not accepted, at most the count asked', () => {
    const set = new HolderSet();
    for (const id of ['a', 'b', 'c', 'd', 'e']) set.add(id);
    expect(
      set.sample(
        2,
        () => true,
        () => 0,
      ),
    ).toEqual(['a', 'b']);
    expect(
      set.sample(
        2,
        () => true,
        () => 0.99,
      ),
    ).toEqual(['e', 'a']);
    expect(
      set.sample(
        3,
        (id) => id !== 'c',
        () => 0.4,
      ),
    ).toEqual(['d', 'e', 'a']);
    expect(set.sample(3, () => false)).toEqual([]);
  });

  it('spreads its draws over every holder', () => {
    const set = new HolderSet();
    for (let at = 0; at < 200; at += 1) set.add(`unit-${at}`);
    const drawn = new Set<string>();
    for (let question = 0; question < 400; question += 1) set.sample(8, () => true).forEach((id) => drawn.add(id));
    expect(drawn.size).toBe(200);
  });
});
