import { AUDIT_REDACTED } from '@rpi-deploy/contracts';
import { redact } from './redact';

describe('redact', () => {
  it('replaces passwords, tokens, secrets and hashes at any depth, and keeps the rest', () => {
    expect(
      redact({
        username: 'otto',
        password: 'correct-horse-battery-7',
        session: { accessToken: 'eyJ...', expiresIn: 3600 },
        users: [{ passwordHash: '$argon2id$...', role: 'viewer' }],
        tokenSecret: 'abc',
        hookSecret: null,
      }),
    ).toEqual({
      username: 'otto',
      password: AUDIT_REDACTED,
      session: { accessToken: AUDIT_REDACTED, expiresIn: 3600 },
      users: [{ passwordHash: AUDIT_REDACTED, role: 'viewer' }],
      tokenSecret: AUDIT_REDACTED,
      hookSecret: null,
    });
  });

  it('turns dates and big integers into text and missing values into null', () => {
    expect(redact({ at: new Date('2026-01-02T03:04:05Z'), bytes: 2n ** 40n })).toEqual({
      at: '2026-01-02T03:04:05.000Z',
      bytes: '1099511627776',
    });
    expect(redact(undefined)).toBeNull();
  });
});
