import { BadRequestException, Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { UserDto } from '@rpi-deploy/contracts';
import { Audited, fromBody, fromParam } from '../audit/audited.decorator';
import { RequireRole } from '../auth/require-role.decorator';
import { CreateUserBody } from './dto/create-user.dto';
import { SetPasswordBody, UpdateUserBody } from './dto/update-user.dto';
import { UserResponse } from './dto/user.dto';
import { userPasswordState, userState } from './user-audit';
import { toUserDto, UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOkResponse({ type: [UserResponse] })
  async list(): Promise<UserDto[]> {
    return (await this.users.list()).map(toUserDto);
  }

  @Post()
  @Audited('user.create', { targetType: 'user', targetId: fromBody('username'), state: userState })
  @ApiConflictResponse({ description: 'The user name is taken' })
  async create(@Body() body: CreateUserBody): Promise<UserDto> {
    return toUserDto(await this.users.create(body.username, body.password, body.role));
  }

  @Get(':username')
  @ApiOkResponse({ type: UserResponse })
  async get(@Param('username') username: string): Promise<UserDto> {
    return toUserDto(await this.users.get(username));
  }

  @Patch(':username')
  @Audited('user.update', { targetType: 'user', targetId: fromParam('username'), state: userState })
  @ApiOkResponse({ type: UserResponse })
  @ApiConflictResponse({ description: 'Would leave no enabled admin' })
  async update(@Param('username') username: string, @Body() body: UpdateUserBody): Promise<UserDto> {
    if (body.role === undefined && body.disabled === undefined) {
      throw new BadRequestException('Nothing to change: give role and/or disabled');
    }
    return toUserDto(await this.users.update(username, body));
  }

  @Post(':username/password')
  @Audited('user.password_set', { targetType: 'user', targetId: fromParam('username'), state: userPasswordState })
  @HttpCode(200)
  @ApiOkResponse({ type: UserResponse, description: 'Password set; the user is signed out everywhere' })
  async setPassword(@Param('username') username: string, @Body() body: SetPasswordBody): Promise<UserDto> {
    return toUserDto(await this.users.setPassword(username, body.password));
  }
}
