import { Body, Controller, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { ImageChangesDto } from '@rpi-deploy/contracts';
import { Audited, fromParam } from '../../audit/audited.decorator';
import { RequireRole } from '../../auth/require-role.decorator';
import { ParseRowIdPipe } from '../../validation/parse-row-id.pipe';
import { ImageChangesQuery, ImageChangesResponse, ReleaseNotesRequest } from './release-notes.dto';
import { ReleaseNotesService } from './release-notes.service';

@ApiTags('images')
@ApiBearerAuth()
@Controller('api/images')
export class ReleaseNotesController {
  constructor(private readonly notes: ReleaseNotesService) {}

  @Put(':id/notes')
  @RequireRole('operator')
  @Audited('image.notes', { targetType: 'image', targetId: fromParam('id') })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Saved (empty text clears them)' })
  @ApiNotFoundResponse({ description: 'No such image' })
  async setNotes(@Param('id', ParseRowIdPipe) id: number, @Body() body: ReleaseNotesRequest): Promise<void> {
    await this.notes.setNotes(id, body.notes);
  }

  @Get(':id/changes')
  @ApiOkResponse({
    type: ImageChangesResponse,
    description:
      'Size, chunks shared and installed packages (dpkg status, read once per image) from `from` to this image',
  })
  @ApiNotFoundResponse({ description: 'No such image' })
  changes(@Param('id', ParseRowIdPipe) id: number, @Query() query: ImageChangesQuery): Promise<ImageChangesDto> {
    return this.notes.changes(id, query.from);
  }
}
