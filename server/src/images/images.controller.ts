import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { IMAGE_VERSION_PATTERN, PRODUCT_CODES, type ImageConversionDto, type ImageDto } from '@rpi-deploy/contracts';
import { CurrentUser, type AuthenticatedUser } from '../auth/authenticated-user';
import { Audited, fromBody, fromParam, fromResult, type StateReader } from '../audit/audited.decorator';
import { RequireRole } from '../auth/require-role.decorator';
import { ImageConversionResponse, ImageQuery, ImageResponse, RollbackBody } from './dto/image.dto';
import { ImageConversions } from './convert/image-conversions';
import { ImagesService } from './images.service';
import { ParseRowIdPipe } from '../validation/parse-row-id.pipe';

const imageState: StateReader = (resolve, id) => resolve(ImagesService).get(Number(id));

@ApiTags('images')
@ApiBearerAuth()
@Controller('api/images')
export class ImagesController {
  constructor(
    private readonly images: ImagesService,
    private readonly conversions: ImageConversions,
  ) {}

  @Get()
  @ApiOkResponse({ type: [ImageResponse], description: 'Newest first' })
  list(@Query() query: ImageQuery): Promise<ImageDto[]> {
    return this.images.list(query.product);
  }

  @Post()
  @RequireRole('operator')
  @Audited('image.upload', { targetType: 'image', targetId: fromResult('id'), state: imageState })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['product', 'version', 'file'],
      properties: {
        product: { type: 'string', enum: [...PRODUCT_CODES] },
        version: { type: 'string', pattern: IMAGE_VERSION_PATTERN.source, example: '1.4.0' },
        description: { type: 'string', maxLength: 500 },
        file: {
          type: 'string',
          format: 'binary',
          description: 'raw .img, or .img.gz / .img.xz / .img.zst (send it last)',
        },
      },
    },
  })
  @ApiCreatedResponse({ type: ImageResponse, description: 'Stored, described and ready to activate' })
  @ApiConflictResponse({ description: 'That product already has this version' })
  @ApiPayloadTooLargeResponse({
    description: 'Larger than IMAGE_UPLOAD_MAX_BYTES as sent, or than IMAGE_MAX_SIZE_BYTES unpacked',
  })
  upload(@Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<ImageDto> {
    // A refusal can come before the whole body has arrived. The connection is deliberately
    // not closed then: the rest of the body is read and discarded, so the client (which may still
    // be sending) is sure to read the answer instead of a reset; our own uploader stops sending
    // as soon as it has the answer.
    return this.images.upload(request, user.username);
  }

  @Post('rollback')
  @RequireRole('operator')
  @Audited('image.rollback', { targetType: 'product', targetId: fromBody('product') })
  @HttpCode(200)
  @ApiOkResponse({ type: ImageResponse, description: 'The image that is active again' })
  @ApiConflictResponse({ description: 'No earlier image of that product was ever active' })
  rollback(@Body() body: RollbackBody): Promise<ImageDto> {
    return this.images.rollback(body.product);
  }

  @Get(':id')
  @ApiOkResponse({ type: ImageResponse })
  get(@Param('id', ParseRowIdPipe) id: number): Promise<ImageDto> {
    return this.images.get(id);
  }

  @Post(':id/activate')
  @RequireRole('operator')
  @Audited('image.activate', { targetType: 'image', targetId: fromParam('id'), state: imageState })
  @HttpCode(200)
  @ApiOkResponse({ type: ImageResponse })
  activate(@Param('id', ParseRowIdPipe) id: number): Promise<ImageDto> {
    return this.images.activate(id);
  }

  @Post(':id/chunks')
  @RequireRole('operator')
  @Audited('image.convert', { targetType: 'image', targetId: fromParam('id') })
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: ImageConversionResponse,
    description: 'Conversion queued; progress comes as image.conversion events and in GET /api/images/:id',
  })
  @ApiConflictResponse({ description: 'The image has chunks already or is being converted' })
  convert(@Param('id', ParseRowIdPipe) id: number): Promise<ImageConversionDto> {
    return this.conversions.start(id);
  }

  @Delete(':id')
  @RequireRole('operator')
  @Audited('image.delete', { targetType: 'image', targetId: fromParam('id'), state: imageState })
  @HttpCode(204)
  @ApiConflictResponse({ description: 'The image is active, being installed or being converted' })
  async remove(@Param('id', ParseRowIdPipe) id: number): Promise<void> {
    await this.images.remove(id);
  }
}
