import type { DeploymentDto } from '@rpi-deploy/contracts';
import { sortDeployments } from './deployment-sort';

const row = (hostname: string, startedAt: string, finishedAt: string | null) =>
  ({ hostname, startedAt, finishedAt, status: 'success' }) as DeploymentDto;

const rows = [
  row('KXP2-CORO-002', '2026-11-26T10:00:00Z', '2026-11-26T10:05:00Z'),
  row('KXP2-CORO-010', '2026-11-26T09:00:00Z', null),
  row('KXP2-CORO-001', '2026-11-26T11:00:00Z', '2026-11-26T11:01:00Z'),
];

describe('sortDeployments', () => {
  it('keeps the server order without a direction', () => {
    expect(sortDeployments(rows, 'hostname', '')).toEqual(rows);
  });

  it('sorts by text both ways', () => {
    expect(sortDeployments(rows, 'hostname', 'asc').map((r) => r.hostname)).toEqual([
      'KXP2-CORO-001',
      'KXP2-CORO-002',
      'KXP2-CORO-010',
    ]);
    expect(sortDeployments(rows, 'startedAt', 'desc')[0].hostname).toBe('KXP2-CORO-001');
  });

  it('sorts by duration with running deployments last', () => {
    expect(sortDeployments(rows, 'duration', 'desc').map((r) => r.hostname)).toEqual([
      'KXP2-CORO-002',
      'KXP2-CORO-001',
      'KXP2-CORO-010',
    ]);
  });
});
