import { Body, Controller, Get, HttpCode, Ip, Post } from '@nestjs/common';
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
import { Public } from './public.decorator';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: LoginResult })
  @ApiUnauthorizedResponse({ description: 'Wrong user name or password, or the account is disabled' })
  @ApiTooManyRequestsResponse({ description: 'Too many failed attempts for this user from this address' })
  login(@Body() body: LoginBody, @Ip() address: string): Promise<LoginResponse> {
    return this.auth.login(body.username, body.password, address);
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
  @ApiTooManyRequestsResponse({ description: 'Too many wrong current passwords for this user from this address' })
  changePassword(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ChangeOwnPasswordBody,
    @Ip() address: string,
  ): Promise<LoginResponse> {
    return this.auth.changeOwnPassword(user, body.currentPassword, body.newPassword, address);
  }
}
