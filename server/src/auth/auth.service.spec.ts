import { BadRequestException, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Role } from '@rpi-deploy/contracts';
import type { AppConfig } from '../config/app-config';
import { PasswordHasher } from '../users/password-hasher';
import type { User } from '../users/user.entity';
import type { UsersService } from '../users/users.service';
import { AuthService } from './auth.service';
import { LoginAttempts } from './login-attempts';

/** Just enough of UsersService over an in-memory table, with the real argon2 hasher. */
class InMemoryUsers {
  readonly rows = new Map<string, User>();
  private readonly hasher = new PasswordHasher();

  async add(username: string, password: string, role: Role): Promise<User> {
    const user = {
      id: this.rows.size + 1,
      username,
      role,
      passwordHash: await this.hasher.hash(password),
      disabled: false,
      tokenVersion: 0,
    } as User;
    this.rows.set(username, user);
    return user;
  }
  async verifyCredentials(username: string, password: string) {
    const user = this.rows.get(username);
    return user && !user.disabled && (await this.hasher.verify(user.passwordHash, password)) ? user : null;
  }
  async findById(id: number) {
    return [...this.rows.values()].find((user) => user.id === id) ?? null;
  }
  async get(username: string) {
    return this.rows.get(username)!;
  }
  verifyPassword(user: User, password: string) {
    return this.hasher.verify(user.passwordHash, password);
  }
  async setPassword(username: string, password: string) {
    const user = this.rows.get(username)!;
    user.passwordHash = await this.hasher.hash(password);
    user.tokenVersion += 1;
    return user;
  }
}

describe('AuthService', () => {
  const config = { tokenTtlSeconds: 3600, loginAttemptsPerMinute: 3 } as AppConfig;
  let users: InMemoryUsers;
  let jwt: JwtService;
  let auth: AuthService;

  beforeEach(async () => {
    users = new InMemoryUsers();
    await users.add('alice', 'alice-password-1', 'operator');
    jwt = new JwtService({ secret: 'unit-test-secret-unit-test-secret-0123' });
    auth = new AuthService(users as unknown as UsersService, jwt, config, new LoginAttempts(config));
  });

  it('issues a token carrying the user, with the configured lifetime', async () => {
    const result = await auth.login('alice', 'alice-password-1', '10.0.0.1');
    expect(result.user).toEqual({ username: 'alice', role: 'operator' });
    expect(result.expiresIn).toBe(3600);
    const claims = jwt.decode(result.accessToken) as { sub: number; exp: number; iat: number };
    expect(claims.sub).toBe(1);
    expect(claims.exp - claims.iat).toBe(3600);
  });

  it('refuses a wrong password and an unknown user with the same 401', async () => {
    const message = 'Wrong user name or password, or the account is disabled';
    await expect(auth.login('alice', 'not-her-password', '10.0.0.1')).rejects.toThrow(
      new UnauthorizedException(message),
    );
    await expect(auth.login('mallory', 'alice-password-1', '10.0.0.1')).rejects.toThrow(
      new UnauthorizedException(message),
    );
  });

  it('authenticates its own tokens and rejects forged, foreign and expired ones', async () => {
    const { accessToken } = await auth.login('alice', 'alice-password-1', '10.0.0.1');
    await expect(auth.authenticate(accessToken)).resolves.toEqual({ id: 1, username: 'alice', role: 'operator' });

    const tampered = accessToken.slice(0, -2) + (accessToken.endsWith('AA') ? 'BB' : 'AA');
    await expect(auth.authenticate(tampered)).rejects.toThrow(UnauthorizedException);
    const foreign = await new JwtService({ secret: 'another-secret-another-secret-0123' }).signAsync({
      sub: 1,
      ver: 0,
    });
    await expect(auth.authenticate(foreign)).rejects.toThrow(UnauthorizedException);
    const expired = await jwt.signAsync({ sub: 1, ver: 0 }, { expiresIn: -10 });
    await expect(auth.authenticate(expired)).rejects.toThrow('Invalid or expired token');
  });

  it('stops accepting a token once the user is disabled', async () => {
    const { accessToken } = await auth.login('alice', 'alice-password-1', '10.0.0.1');
    users.rows.get('alice')!.disabled = true;
    await expect(auth.authenticate(accessToken)).rejects.toThrow('no longer valid');
    await expect(auth.login('alice', 'alice-password-1', '10.0.0.1')).rejects.toThrow(UnauthorizedException);
  });

  it('takes the current role from the database, not from the token', async () => {
    const { accessToken } = await auth.login('alice', 'alice-password-1', '10.0.0.1');
    users.rows.get('alice')!.role = 'viewer';
    await expect(auth.authenticate(accessToken)).resolves.toMatchObject({ role: 'viewer' });
  });

  it('changes the own password only with the right current one, and revokes older tokens', async () => {
    const old = await auth.login('alice', 'alice-password-1', '10.0.0.1');
    const current = await auth.authenticate(old.accessToken);

    await expect(auth.changeOwnPassword(current, 'wrong-password', 'alice-password-2', '10.0.0.1')).rejects.toThrow(
      BadRequestException,
    );
    const renewed = await auth.changeOwnPassword(current, 'alice-password-1', 'alice-password-2', '10.0.0.1');

    await expect(auth.authenticate(renewed.accessToken)).resolves.toMatchObject({ username: 'alice' });
    await expect(auth.authenticate(old.accessToken)).rejects.toThrow('no longer valid');
    await expect(auth.login('alice', 'alice-password-1', '10.0.0.1')).rejects.toThrow(UnauthorizedException);
    await expect(auth.login('alice', 'alice-password-2', '10.0.0.1')).resolves.toMatchObject({
      user: { username: 'alice' },
    });
  });
});
