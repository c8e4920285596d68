import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { GeneralisePlanDto, ImageDto } from '@rpi-deploy/contracts';
import { Audited, fromResult } from '../../audit/audited.decorator';
import { CurrentUser, type AuthenticatedUser } from '../../auth/authenticated-user';
import { RequireRole } from '../../auth/require-role.decorator';
import { ParseRowIdPipe } from '../../validation/parse-row-id.pipe';
import { ImageResponse } from '../dto/image.dto';
import { GeneralisePlanResponse, GeneraliseRequest } from './generalise.dto';
import { GeneraliseService } from './generalise.service';

@ApiTags('images')
@ApiBearerAuth()
@Controller('api/images')
export class GeneraliseController {
  constructor(private readonly generalise: GeneraliseService) {}

  @Get(':id/generalise')
  @ApiOkResponse({ type: GeneralisePlanResponse, description: 'What is always cleared, and the candidates' })
  @ApiNotFoundResponse({ description: 'No such image' })
  @ApiUnprocessableEntityResponse({ description: 'The image has no ext4 root (or an unreplayed journal)' })
  plan(@Param('id', ParseRowIdPipe) id: number): Promise<GeneralisePlanDto> {
    return this.generalise.plan(id);
  }

  @Post(':id/generalise')
  @RequireRole('operator')
  @Audited('image.generalise', { targetType: 'image', targetId: fromResult('id') })
  @ApiCreatedResponse({ type: ImageResponse, description: 'The generalised copy, stored as a new version' })
  @ApiConflictResponse({ description: 'The new version exists already' })
  @ApiUnprocessableEntityResponse({ description: 'The image has no ext4 root (or an unreplayed journal)' })
  run(
    @Param('id', ParseRowIdPipe) id: number,
    @Body() body: GeneraliseRequest,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<ImageDto> {
    return this.generalise.generalise(id, body, user.username);
  }
}
