import { HttpException } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { LoginAttempts } from './login-attempts';

describe('LoginAttempts', () => {
  const attempts = () => new LoginAttempts({ loginAttemptsPerMinute: 3 } as AppConfig);
  const t0 = 1_000_000;

  it('blocks an address and user after the allowed failures, for the rest of the minute', () => {
    const limiter = attempts();
    for (let i = 0; i < 3; i += 1) {
      expect(() => limiter.check('10.0.0.1', 'alice', t0 + i)).not.toThrow();
      limiter.recordFailure('10.0.0.1', 'alice', t0 + i);
    }
    expect(() => limiter.check('10.0.0.1', 'ALICE', t0 + 10_000)).toThrow(HttpException);
    expect(() => limiter.check('10.0.0.1', 'alice', t0 + 10_000)).toThrow('try again in 50 s');
    expect(() => limiter.check('10.0.0.1', 'alice', t0 + 60_001)).not.toThrow();
  });

  it('keeps other users and other addresses apart', () => {
    const limiter = attempts();
    for (let i = 0; i < 3; i += 1) limiter.recordFailure('10.0.0.1', 'alice', t0);
    expect(() => limiter.check('10.0.0.1', 'bob', t0)).not.toThrow();
    expect(() => limiter.check('10.0.0.2', 'alice', t0)).not.toThrow();
  });

  it('forgets the failures after a successful login', () => {
    const limiter = attempts();
    limiter.recordFailure('10.0.0.1', 'alice', t0);
    limiter.recordFailure('10.0.0.1', 'alice', t0);
    limiter.recordSuccess('10.0.0.1', 'alice');
    limiter.recordFailure('10.0.0.1', 'alice', t0);
    limiter.recordFailure('10.0.0.1', 'alice', t0);
    expect(() => limiter.check('10.0.0.1', 'alice', t0)).not.toThrow();
  });
});
