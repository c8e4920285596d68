import type { AppConfig } from '../../config/app-config';
import { ServerAdmission, type Admission } from './server-admission';

describe('ServerAdmission', () => {
  let now = 1_000_000;
  const admission = (cap = 2) => {
    const line = new ServerAdmission({
      deployments: { maxServerTransfers: cap, admissionIdleSeconds: 3, admissionSilenceSeconds: 30 },
    } as AppConfig);
    line.clock = () => now;
    line.onModuleDestroy();
    return line;
  };
  const served = (answer: Admission) => {
    if (!answer.admitted) throw new Error(`not admitted: ${answer.position} in line`);
    return answer.done;
  };
  beforeEach(() => (now = 1_000_000));

  it('lets a unit that keeps asking hold its slot, the others wait in arrival order', () => {
    const line = admission();
    served(line.admit('a'))();
    served(line.admit('b'))();
    expect(line.admit('c')).toMatchObject({ admitted: false, position: 1, retryAfterSeconds: 1 });
    expect(line.admit('d')).toMatchObject({ admitted: false, position: 2 });
    for (let second = 0; second < 10; second += 1) {
      now += 1_000;
      served(line.admit('a'))();
      served(line.admit('b'))();
    }
    expect(line.admit('c')).toMatchObject({ admitted: false, position: 1 });
  });

  it('gives the slot of a unit that stopped drawing (it fetches from its neighbours) to the first in line', () => {
    const line = admission();
    served(line.admit('a'))();
    served(line.admit('b'))();
    expect(line.admit('c')).toMatchObject({ admitted: false, position: 1 });
    now += 2_000;
    served(line.admit('b'))();
    now += 1_500;
    // A asked nothing for 3.5 s: its slot is C's; B asked 1.5 s ago and keeps its own.
    expect(line.admit('c').admitted).toBe(true);
    expect(line.admit('b').admitted).toBe(true);
    expect(line.admit('a')).toMatchObject({ admitted: false, position: 1 });
  });

  it('keeps the slot of a unit whose answer is still being sent, however long it takes', () => {
    const line = admission(1);
    const done = served(line.admit('a'));
    now += 60_000;
    expect(line.admit('b')).toMatchObject({ admitted: false, position: 1 });
    done();
    now += 3_001;
    expect(line.admit('b').admitted).toBe(true);
  });

  it('frees a slot as soon as the unit is past its download, and tells the line how long slots are held', () => {
    const line = admission(2);
    served(line.admit('a'))();
    served(line.admit('b'))();
    expect(line.admit('c')).toMatchObject({ position: 1, retryAfterSeconds: 1 });
    expect(line.admit('d', 'image')).toMatchObject({ position: 2, retryAfterSeconds: 30 });
    // One waiting for chunks comes back within seconds: chunk slots turn over fast.
    expect(line.admit('d')).toMatchObject({ position: 2, retryAfterSeconds: 5 });
    now += 2_000;
    served(line.admit('b'))();
    line.release('a');
    expect(line.admit('c').admitted).toBe(true);
    // Slots were held 60 s (the first guess), then 2 s: 0.7 * 60 + 0.3 * 2 = 42.6 s; half of it for place 2.
    expect(line.admit('e', 'image')).toMatchObject({ position: 2, retryAfterSeconds: 21 });
  });

  it('keeps a free slot for the one in line due back now, not for one told to come back later', () => {
    const line = admission(1);
    const holding = served(line.admit('a'));
    expect(line.admit('b')).toMatchObject({ position: 1, retryAfterSeconds: 1 });
    expect(line.admit('c', 'image')).toMatchObject({ position: 2, retryAfterSeconds: 60 });
    now += 500;
    holding();
    line.release('a');
    now += 100;
    // B comes back in 0.4 s: the slot waits for it.
    expect(line.admit('c', 'image')).toMatchObject({ admitted: false, position: 2 });
    now += 400;
    expect(line.admit('b').admitted).toBe(true);
    expect(line.admit('d')).toMatchObject({ position: 2 });
    now += 5_000;
    line.release('b');
    // C is due back in a minute, D asks now: the slot does not idle until C comes back.
    expect(line.admit('d').admitted).toBe(true);
    expect(line.admit('c')).toMatchObject({ admitted: false, position: 1 });
  });

  it('drops a waiting unit that stopped asking, and admits everyone without a cap', () => {
    const line = admission(1);
    served(line.admit('a'));
    line.admit('b');
    line.admit('c');
    now += 91_000;
    line.admit('c');
    expect(line.waitingUnits()).toEqual(['c']);
    const open = admission(0);
    for (const unit of ['a', 'b', 'c']) expect(open.admit(unit).admitted).toBe(true);
  });
});
