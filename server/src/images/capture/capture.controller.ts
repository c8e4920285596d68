import { BadRequestException, Body, Controller, Get, Headers, Param, Post, Put, Req, Res } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  CAPTURE_OFFSET_HEADER,
  type CaptureSessionDto,
  type CaptureStateDto,
  type ImageDto,
} from '@rpi-deploy/contracts';
import { bearerToken } from '../../auth/auth.guard';
import { DeploymentRoute } from '../../listeners/deployment-route.decorator';
import { CaptureOpenBody } from './capture.dto';
import { CaptureSessions } from './capture-sessions';

/**
 * What the installer in capture mode calls, on the deployment listener: the marked unit opens a
 * session, streams its card's image (raw bytes, in order, resumable) and finishes it into a
 * version. The session's token authenticates the rest, as a deployment's status token does.
 */
@ApiTags('deployment')
@DeploymentRoute()
@Controller('api/capture')
export class CaptureController {
  constructor(private readonly sessions: CaptureSessions) {}

  @Post()
  @ApiCreatedResponse({ description: 'The session: captureId, token, product, version, bytes held' })
  @ApiNotFoundResponse({ description: 'The unit is not marked for capture' })
  @ApiConflictResponse({ description: 'The marked version exists already' })
  open(@Body() body: CaptureOpenBody): Promise<CaptureSessionDto> {
    return this.sessions.open(body);
  }

  @Get(':id')
  @ApiOkResponse({ description: 'Bytes the server holds: a dropped stream resumes there' })
  @ApiUnauthorizedResponse({ description: 'No or a wrong session token' })
  state(@Param('id') id: string, @Headers('authorization') authorization?: string): CaptureStateDto {
    return this.sessions.state(id, bearerToken(authorization));
  }

  @Put(':id/bytes')
  @ApiOkResponse({
    description: `The body (application/octet-stream) is the image from the ${CAPTURE_OFFSET_HEADER} offset on`,
  })
  @ApiConflictResponse({
    description: 'The offset is not where the held bytes end (the message says where), or another stream is running',
  })
  async receive(
    @Param('id') id: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
    @Headers('authorization') authorization?: string,
    @Headers(CAPTURE_OFFSET_HEADER) offsetHeader?: string,
  ): Promise<CaptureStateDto> {
    const offset = Number(offsetHeader);
    if (offsetHeader === undefined || !/^\d+$/.test(offsetHeader) || !Number.isSafeInteger(offset)) {
      throw new BadRequestException(`Send the image offset of the body's first byte as ${CAPTURE_OFFSET_HEADER}`);
    }
    if (!request.is('application/octet-stream')) {
      throw new BadRequestException('Send the image bytes as application/octet-stream');
    }
    const length = request.headers['content-length'];
    try {
      return await this.sessions.receive(
        id,
        bearerToken(authorization),
        offset,
        length === undefined ? undefined : Number(length),
        request,
      );
    } catch (error) {
      // Refused with the body not all read: this connection cannot serve another request.
      if (!request.complete) response.setHeader('connection', 'close');
      throw error;
    }
  }

  @Post(':id/finish')
  @ApiCreatedResponse({ description: 'The stored image: a new, inactive version captured from the unit' })
  @ApiConflictResponse({ description: 'Bytes are missing, or a stream is still running' })
  finish(@Param('id') id: string, @Headers('authorization') authorization?: string): Promise<ImageDto> {
    return this.sessions.finish(id, bearerToken(authorization));
  }
}
