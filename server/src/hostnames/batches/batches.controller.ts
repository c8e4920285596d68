import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { BatchDto } from '@rpi-deploy/contracts';
import { Audited, fromParam, fromResult, type StateReader } from '../../audit/audited.decorator';
import { RequireRole } from '../../auth/require-role.decorator';
import { BatchesService } from './batches.service';
import { BatchResponse, CreateBatchBody } from './dto/batch.dto';
import { ParseRowIdPipe } from '../../validation/parse-row-id.pipe';

const batchState: StateReader = (resolve, id) => resolve(BatchesService).get(Number(id));

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
  @Audited('batch.create', { targetType: 'batch', targetId: fromResult('id'), state: batchState })
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
  @Audited('batch.start', { targetType: 'batch', targetId: fromParam('id'), state: batchState })
  @HttpCode(200)
  @ApiConflictResponse({ description: 'Not pending or paused, or the pool is too small' })
  start(@Param('id', ParseRowIdPipe) id: number): Promise<BatchDto> {
    return this.batches.apply(id, 'start');
  }

  @Post(':id/pause')
  @RequireRole('operator')
  @Audited('batch.pause', { targetType: 'batch', targetId: fromParam('id'), state: batchState })
  @HttpCode(200)
  pause(@Param('id', ParseRowIdPipe) id: number): Promise<BatchDto> {
    return this.batches.apply(id, 'pause');
  }

  @Post(':id/cancel')
  @RequireRole('operator')
  @Audited('batch.cancel', { targetType: 'batch', targetId: fromParam('id'), state: batchState })
  @HttpCode(200)
  cancel(@Param('id', ParseRowIdPipe) id: number): Promise<BatchDto> {
    return this.batches.apply(id, 'cancel');
  }
}
