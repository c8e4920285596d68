import { Body, Controller, Get, HttpCode, HttpException, Ip, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { LoginResponse } from '@rpi-deploy/contracts';
import { Audited, fromCurrentUser } from '../audit/audited.decorator';
import { AuditService } from '../audit/audit.service';
import { userPasswordState } from '../users/user-audit';
import { AuthService } from './auth.service';
import { AuthenticatedUser, CurrentUser } from './authenticated-user';
import { ChangeOwnPasswordBody, LoginBody, LoginResult } from './dto/login.dto';
import { Public } from './public.decorator';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly audit: AuditService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: LoginResult })
  @ApiUnauthorizedResponse({ description: 'Wrong user name or password, or the account is disabled' })
  @ApiTooManyRequestsResponse({ description: 'Too many failed attempts for this user from this address' })
  async login(@Body() body: LoginBody, @Ip() address: string): Promise<LoginResponse> {
    // Recorded here rather than by @Audited: a failed login is the one failure the log must show.
    let result: LoginResponse;
    try {
      result = await this.auth.login(body.username, body.password, address);
    } catch (error) {
      const status = error instanceof HttpException ? error.getStatus() : 500;
      await this.audit.record({
        action: 'auth.login_failed',
        actor: { username: body.username },
        ip: address,
        targetType: 'user',
        targetId: body.username,
        after: { status, reason: status === 429 ? 'too many failed attempts' : 'wrong credentials or disabled' },
      });
      throw error;
    }
    await this.audit.record({
      action: 'auth.login',
      actor: { username: result.user.username },
      ip: address,
      targetType: 'user',
      targetId: result.user.username,
    });
    return result;
  }

  @ApiBearerAuth()
  @Get('me')
  me(@CurrentUser() user: AuthenticatedUser): Pick<AuthenticatedUser, 'username' | 'role'> {
    return { username: user.username, role: user.role };
  }

  /**
   * Ends the dashboard's session for the record. Access tokens are not stored, so the client
   * forgets its token; ending every session of a user is what a password change does.
   */
  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Recorded; forget the token' })
  @Audited('auth.logout', { targetType: 'user', targetId: fromCurrentUser })
  logout(): void {
    // Nothing to undo on the server: the audit interceptor records the logout.
  }

  @ApiBearerAuth()
  @Post('password')
  @HttpCode(200)
  @ApiOkResponse({ type: LoginResult, description: 'Changed; other sessions are signed out' })
  @Audited('auth.password_change', { targetType: 'user', targetId: fromCurrentUser, state: userPasswordState })
  @ApiTooManyRequestsResponse({ description: 'Too many wrong current passwords for this user from this address' })
  changePassword(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ChangeOwnPasswordBody,
    @Ip() address: string,
  ): Promise<LoginResponse> {
    return this.auth.changeOwnPassword(user, body.currentPassword, body.newPassword, address);
  }
}
