import type { DeploymentDto } from '@rpi-deploy/contracts';
import { durationSeconds } from './deployment-duration';

describe('durationSeconds', () => {
  it('measures finished deployments and has nothing for running ones', () => {
    const row = (finishedAt: string | null) => ({ startedAt: '2026-11-26T10:00:00Z', finishedAt }) as DeploymentDto;
    expect(durationSeconds(row('2026-11-26T10:05:30Z'))).toBe(330);
    expect(durationSeconds(row(null))).toBeNull();
  });
});
