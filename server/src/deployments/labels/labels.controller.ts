import { BadRequestException, Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { LABEL_COUNT_HEADER } from '@rpi-deploy/contracts';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { labelsPdf } from './label-pdf';
import { LabelsQueryParams } from './labels-query.dto';
import { LabelsService } from './labels.service';

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('api')
export class LabelsController {
  constructor(private readonly labels: LabelsService) {}

  @Get('labels.pdf')
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: 'One 62 mm x 29 mm label per unit: hostname, serial, MAC and a QR code of them' })
  async pdf(
    @Query() query: LabelsQueryParams,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    if ((query.batch === undefined) === (query.deploymentIds === undefined)) {
      throw new BadRequestException('Give either batch (a batch id) or deploymentIds (ids separated by commas)');
    }
    const [labels, name] =
      query.batch !== undefined
        ? [await this.labels.forBatch(query.batch), `labels-batch-${query.batch}`]
        : [await this.labels.forDeployments(query.deploymentIds!), 'labels'];
    const pdf = await labelsPdf(labels, name);
    response.setHeader(LABEL_COUNT_HEADER, String(labels.length));
    return new StreamableFile(pdf, { type: 'application/pdf', disposition: `attachment; filename="${name}.pdf"` });
  }
}
