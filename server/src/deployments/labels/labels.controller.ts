import { BadRequestException, Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { LABEL_COUNT_HEADER, type UnitLabel } from '@rpi-deploy/contracts';
import { labelsPdf } from './label-pdf';
import { LabelsQueryParams } from './labels-query.dto';
import { LabelsService } from './labels.service';

/** Unit labels: as data for the dashboard's printable page, and as a PDF for a label printer. */
@ApiTags('deployments')
@ApiBearerAuth()
@Controller('api')
export class LabelsController {
  constructor(private readonly labels: LabelsService) {}

  @Get('labels')
  @ApiOkResponse({ description: 'What each label shows (hostname, serial, MAC), one per unit, by hostname' })
  async list(@Query() query: LabelsQueryParams): Promise<UnitLabel[]> {
    return (await this.select(query)).labels;
  }

  @Get('labels.pdf')
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: 'One 62 mm x 29 mm label per unit: hostname, serial, MAC and a QR code of them' })
  async pdf(
    @Query() query: LabelsQueryParams,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const { labels, name } = await this.select(query);
    const pdf = await labelsPdf(labels, name);
    response.setHeader(LABEL_COUNT_HEADER, String(labels.length));
    return new StreamableFile(pdf, { type: 'application/pdf', disposition: `attachment; filename="${name}.pdf"` });
  }

  private async select(query: LabelsQueryParams): Promise<{ labels: UnitLabel[]; name: string }> {
    if ((query.batch === undefined) === (query.deploymentIds === undefined)) {
      throw new BadRequestException('Give either batch (a batch id) or deploymentIds (ids separated by commas)');
    }
    return query.batch !== undefined
      ? { labels: await this.labels.forBatch(query.batch), name: `labels-batch-${query.batch}` }
      : { labels: await this.labels.forDeployments(query.deploymentIds!), name: 'labels' };
  }
}
