import type { DeploymentStatus } from '@rpi-deploy/contracts';
import { TrafficCounter } from './traffic-samples';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');

function view(id: string, server: number | null, peers: number | null, status: DeploymentStatus = 'downloading') {
  return {
    id,
    status,
    startedAt: new Date(T0 + 1000).toISOString(),
    bytesFromServer: server,
    bytesFromPeers: peers,
  };
}

describe('TrafficCounter', () => {
  it('adds what each unit moved since its previous report, per interval', () => {
    const counter = new TrafficCounter(T0);
    counter.add(view('a', 100, 0));
    counter.add(view('b', 50, 20));
    counter.add(view('a', 300, 40));
    expect(counter.sample(T0 + 5000)).toEqual({
      at: new Date(T0 + 5000).toISOString(),
      seconds: 5,
      serverBytes: 350,
      peerBytes: 60,
    });
    counter.add(view('a', 300, 140));
    counter.add(view('b', 50, 20, 'verifying'));
    expect(counter.sample(T0 + 10_000)).toMatchObject({ seconds: 5, serverBytes: 0, peerBytes: 100 });
    expect(counter.history().map((sample) => sample.peerBytes)).toEqual([60, 100]);
  });

  it('ignores views without totals, and forgets a unit once it has ended', () => {
    const counter = new TrafficCounter(T0);
    counter.add(view('a', null, null, 'starting'));
    counter.add(view('a', 80, 0));
    counter.add(view('a', 100, 0, 'success'));
    // A later view of the same id (never sent in practice) would count from zero again: it was forgotten.
    counter.add(view('a', 100, 0, 'success'));
    expect(counter.sample(T0 + 5000)).toMatchObject({ serverBytes: 200, peerBytes: 0 });
  });

  it('counts a unit that started before the counter from its first report on, not its whole total', () => {
    const counter = new TrafficCounter(T0 + 60_000);
    counter.add(view('old', 5000, 1000));
    counter.add(view('old', 5500, 1200));
    expect(counter.sample(T0 + 65_000)).toMatchObject({ serverBytes: 500, peerBytes: 200 });
  });

  it('keeps only the latest samples', () => {
    const counter = new TrafficCounter(T0, 3);
    for (let i = 1; i <= 5; i += 1) counter.sample(T0 + i * 1000);
    expect(counter.history().map((sample) => sample.at)).toEqual(
      [3, 4, 5].map((i) => new Date(T0 + i * 1000).toISOString()),
    );
  });
});
