import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import {
  DASHBOARD_VIEWS,
  type DashboardView,
  type UpdateUserPreferencesRequest,
  type UserPreferencesDto,
} from '@rpi-deploy/contracts';
import { IsOmittable } from '../../validation/is-omittable';

export class UserPreferencesResponse implements UserPreferencesDto {
  @ApiProperty({ enum: DASHBOARD_VIEWS }) dashboardView!: DashboardView;
}

export class UpdateUserPreferencesBody implements UpdateUserPreferencesRequest {
  @ApiPropertyOptional({ enum: DASHBOARD_VIEWS })
  @IsOmittable()
  @IsIn(DASHBOARD_VIEWS, { message: `dashboardView must be one of ${DASHBOARD_VIEWS.join(', ')}` })
  dashboardView?: DashboardView;
}
