import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { BatchDto } from '@rpi-deploy/contracts';
import { RequireRole } from '../../auth/require-role.decorator';
import { BatchesService } from './batches.service';
import { BatchResponse, CreateBatchBody } from './dto/batch.dto';
import { ParseRowIdPipe } from '../../validation/parse-row-id.pipe';

@ApiTags('batches')
@ApiBearerAuth()
@Controller('api/batches')
export class BatchesController {
  constructor(private readonly batches: BatchesService) {}

  @Get()
  @ApiOkResponse({ type: [BatchResponse], description: 'Newest first' })
  list(): Promise<BatchDto[]> {
    return this.batches.list();
  }

  @Post()
  @RequireRole('operator')
  @ApiConflictResponse({ description: 'The kart pool has too few free numbers' })
  create(@Body() body: CreateBatchBody): Promise<BatchDto> {
    return this.batches.create(body);
  }

  @Get(':id')
  @ApiOkResponse({ type: BatchResponse })
  get(@Param('id', ParseRowIdPipe) id: number): Promise<BatchDto> {
    return this.batches.get(id);
  }

  @Post(':id/start')
  @RequireRole('operator')
  @HttpCode(200)
  @ApiConflictResponse({ description: 'Not pending or paused, or the pool is too small' })
  start(@Param('id', ParseRowIdPipe) id: number): Promise<BatchDto> {
    return this.batches.apply(id, 'start');
  }

  @Post(':id/pause')
  @RequireRole('operator')
  @HttpCode(200)
  pause(@Param('id', ParseRowIdPipe) id: number): Promise<BatchDto> {
    return this.batches.apply(id, 'pause');
  }

  @Post(':id/cancel')
  @RequireRole('operator')
  @HttpCode(200)
  cancel(@Param('id', ParseRowIdPipe) id: number): Promise<BatchDto> {
    return this.batches.apply(id, 'cancel');
  }
}
