import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { CanaryDto } from '@rpi-deploy/contracts';
import { Audited, fromParam, fromResult } from '../../audit/audited.decorator';
import { CurrentUser, type AuthenticatedUser } from '../../auth/authenticated-user';
import { RequireRole } from '../../auth/require-role.decorator';
import { ParseRowIdPipe } from '../../validation/parse-row-id.pipe';
import { CanaryProductParams, CanaryResponse, CanaryStartRequest } from './canary.dto';
import { CanaryService } from './canary.service';

/** Registered before ImagesController, so `canaries` is not read as an image id. */
@ApiTags('images')
@ApiBearerAuth()
@Controller('api/images')
export class CanaryController {
  constructor(private readonly canaries: CanaryService) {}

  @Get('canaries')
  @ApiOkResponse({ type: [CanaryResponse], description: 'The running canaries, with how their units did' })
  list(): Promise<CanaryDto[]> {
    return this.canaries.list();
  }

  @Get('canaries/:product')
  @ApiOkResponse({ type: CanaryResponse })
  @ApiNotFoundResponse({ description: 'No canary of that product is running' })
  status(@Param() params: CanaryProductParams): Promise<CanaryDto> {
    return this.canaries.status(params.product);
  }

  @Post(':id/canary')
  @RequireRole('operator')
  @Audited('image.canary_start', { targetType: 'product', targetId: fromResult('product') })
  @ApiCreatedResponse({ type: CanaryResponse, description: 'The next N configs (or the named serials) get this image' })
  @ApiConflictResponse({
    description: 'The image is active already, the product has no active image, or a canary runs',
  })
  start(
    @Param('id', ParseRowIdPipe) id: number,
    @Body() body: CanaryStartRequest,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<CanaryDto> {
    return this.canaries.start(id, body, user.username);
  }

  @Post('canaries/:product/promote')
  @RequireRole('operator')
  @Audited('image.canary_promote', { targetType: 'product', targetId: fromParam('product') })
  @HttpCode(200)
  @ApiOkResponse({ type: CanaryResponse, description: 'The canary as it ended; its image is now active for everyone' })
  @ApiNotFoundResponse({ description: 'No canary of that product is running' })
  promote(@Param() params: CanaryProductParams): Promise<CanaryDto> {
    return this.canaries.promote(params.product);
  }

  @Post('canaries/:product/abandon')
  @RequireRole('operator')
  @Audited('image.canary_abandon', { targetType: 'product', targetId: fromParam('product') })
  @HttpCode(200)
  @ApiOkResponse({ type: CanaryResponse, description: 'The canary as it ended; everyone stays on the active image' })
  @ApiNotFoundResponse({ description: 'No canary of that product is running' })
  abandon(@Param() params: CanaryProductParams): Promise<CanaryDto> {
    return this.canaries.abandon(params.product);
  }
}
