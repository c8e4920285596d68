import { BadRequestException, Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { UserPreferencesDto } from '@rpi-deploy/contracts';
import { AuthenticatedUser, CurrentUser } from '../auth/authenticated-user';
import { UpdateUserPreferencesBody, UserPreferencesResponse } from './dto/preferences.dto';
import { UsersService } from './users.service';

/**
 * The signed-in user's own preferences (any role). Not audited: they change only how the
 * dashboard looks to that user, nothing another user or a unit sees.
 */
@ApiTags('users')
@ApiBearerAuth()
@Controller('api/users/me/preferences')
export class UserPreferencesController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOkResponse({ type: UserPreferencesResponse })
  get(@CurrentUser() user: AuthenticatedUser): Promise<UserPreferencesDto> {
    return this.users.preferences(user.id);
  }

  @Put()
  @ApiOkResponse({ type: UserPreferencesResponse })
  update(@CurrentUser() user: AuthenticatedUser, @Body() body: UpdateUserPreferencesBody): Promise<UserPreferencesDto> {
    if (body.dashboardView === undefined) throw new BadRequestException('Nothing to change: give dashboardView');
    return this.users.updatePreferences(user.id, { dashboardView: body.dashboardView });
  }
}
