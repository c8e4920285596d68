import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { LoginResponse } from '@rpi-deploy/contracts';
import { AuthService } from './auth.service';
import { AuthenticatedUser, CurrentUser } from './authenticated-user';
import { ChangeOwnPasswordBody, LoginBody, LoginResult } from './dto/login.dto';
import { LoginThrottlerGuard } from './login-throttler.guard';
import { Public } from './public.decorator';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @UseGuards(LoginThrottlerGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: LoginResult })
  @ApiUnauthorizedResponse({ description: 'Wrong user name or password, or the account is disabled' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts for this user from this address' })
  login(@Body() body: LoginBody): Promise<LoginResponse> {
    return this.auth.login(body.username, body.password);
  }

  @ApiBearerAuth()
  @Get('me')
  me(@CurrentUser() user: AuthenticatedUser): Pick<AuthenticatedUser, 'username' | 'role'> {
    return { username: user.username, role: user.role };
  }

  @ApiBearerAuth()
  @Post('password')
  @HttpCode(200)
  @ApiOkResponse({ type: LoginResult, description: 'Changed; other sessions are signed out' })
  changePassword(@CurrentUser() user: AuthenticatedUser, @Body() body: ChangeOwnPasswordBody): Promise<LoginResponse> {
    return this.auth.changeOwnPassword(user, body.currentPassword, body.newPassword);
  }
}
