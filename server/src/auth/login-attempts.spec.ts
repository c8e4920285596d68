import { HttpException } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { LoginAttempts } from './login-attempts';

describe('LoginAttempts', () => {
  const attempts = () => new LoginAttempts({ loginAttemptsPerMinute: 3 } as AppConfig);
  const t0 = 1_000_000;

  it('blocks an address and user after the allowed attempts, for the rest of the minute', () => {
    const limiter = attempts();
    for (let i = 0; i < 3; i += 1) expect(() => limiter.begin('10.0.0.1', 'alice', t0 + i)).not.toThrow();
    expect(() => limiter.begin('10.0.0.1', 'ALICE', t0 + 10_000)).toThrow(HttpException);
    expect(() => limiter.begin('10.0.0.1', 'alice', t0 + 10_000)).toThrow('try again in 50 s');
    expect(() => limiter.begin('10.0.0.1', 'alice', t0 + 60_001)).not.toThrow();
  });

  it('keeps other users and other addresses apart', () => {
    const limiter = attempts();
    for (let i = 0; i < 3; i += 1) limiter.begin('10.0.0.1', 'alice', t0);
    expect(() => limiter.begin('10.0.0.1', 'bob', t0)).not.toThrow();
    expect(() => limiter.begin('10.0.0.2', 'alice', t0)).not.toThrow();
  });

  it('forgets the attempts after a right password', () => {
    const limiter = attempts();
    limiter.begin('10.0.0.1', 'alice', t0);
    limiter.begin('10.0.0.1', 'alice', t0);
    limiter.succeeded('10.0.0.1', 'alice');
    limiter.begin('10.0.0.1', 'alice', t0);
    limiter.begin('10.0.0.1', 'alice', t0);
    expect(() => limiter.begin('10.0.0.1', 'alice', t0)).not.toThrow();
  });
});
