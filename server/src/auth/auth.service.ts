import { BadRequestException, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { LoginResponse } from '@rpi-deploy/contracts';
import { AppConfig } from '../config/app-config';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import type { AuthenticatedUser } from './authenticated-user';
import { LoginAttempts } from './login-attempts';

interface TokenClaims {
  sub: number;
  username: string;
  /** The user's token version when issued; a bump (password change, disable) revokes it. */
  ver: number;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly attempts: LoginAttempts,
  ) {}

  async login(username: string, password: string, address: string): Promise<LoginResponse> {
    await this.attempts.begin(address, username);
    const user = await this.users.verifyCredentials(username, password);
    if (!user) throw new UnauthorizedException('Wrong user name or password, or the account is disabled');
    await this.attempts.succeeded(address, username);
    return this.issueToken(user);
  }

  /** The user a bearer token belongs to, re-checked against the database on every call. */
  async authenticate(token: string): Promise<AuthenticatedUser> {
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token);
    } catch {
      throw new UnauthorizedException('Invalid or expired token: log in again');
    }
    const user = await this.users.findById(claims.sub);
    if (!user || user.disabled || user.tokenVersion !== claims.ver) {
      throw new UnauthorizedException('This session is no longer valid: log in again');
    }
    return { id: user.id, username: user.username, role: user.role };
  }

  async changeOwnPassword(
    current: AuthenticatedUser,
    currentPassword: string,
    newPassword: string,
    address: string,
  ): Promise<LoginResponse> {
    // A stolen token must not become a way around the login limiter to guess the password.
    await this.attempts.begin(address, current.username);
    const user = await this.users.get(current.username);
    if (!(await this.users.verifyPassword(user, currentPassword))) {
      throw new BadRequestException('The current password is wrong');
    }
    await this.attempts.succeeded(address, current.username);
    // The change signs out every other session; this one gets a fresh token.
    return this.issueToken(await this.users.setPassword(user.username, newPassword));
  }

  private async issueToken(user: User): Promise<LoginResponse> {
    const claims: TokenClaims = { sub: user.id, username: user.username, ver: user.tokenVersion };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: this.config.tokenTtlSeconds });
    return {
      accessToken,
      expiresIn: this.config.tokenTtlSeconds,
      user: { username: user.username, role: user.role },
    };
  }
}
