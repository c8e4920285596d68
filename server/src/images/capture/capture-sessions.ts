import {
  BadRequestException,
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
  UnauthorizedException,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { CaptureOpenRequest, CaptureSessionDto, CaptureStateDto, ImageDto } from '@rpi-deploy/contracts';
import { AppConfig } from '../../config/app-config';
import { LiveEvents } from '../../live/live-events';
import { ChunkRecompression } from '../chunks/chunk-recompression';
import { ImageStore } from '../image-store';
import { ImagesService } from '../images.service';
import { asHttpError, failureMessage, imageTooLarge, noSpace } from '../upload/upload-errors';
import { discardRestOfBody } from '../upload/receive-image-upload';
import { UploadProgressAnnouncer } from '../upload/upload-progress';
import { CaptureMarks } from './capture-marks';
import { CaptureSession } from './capture-session';

/** A session that received nothing this long was abandoned (the unit lost power, say): its bytes go. */
export const CAPTURE_IDLE_MS = 15 * 60_000;
const SWEEP_MS = 60_000;

/**
 * Capture sessions of marked units, in this server's memory: the single-pass writer cannot be
 * handed to another instance, so a unit keeps talking to the one that opened its session.
 */
@Injectable()
export class CaptureSessions implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Capture');
  private readonly sessions = new Map<string, CaptureSession>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly marks: CaptureMarks,
    private readonly images: ImagesService,
    private readonly store: ImageStore,
    private readonly config: AppConfig,
    private readonly live: LiveEvents,
    private readonly recompression: ChunkRecompression,
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.dropIdle(), SWEEP_MS);
    this.sweeper.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweeper);
    for (const session of [...this.sessions.values()]) await this.drop(session, 'the server stopped');
  }

  /**
   * Opens the marked unit's session, or hands a unit that lost its session token (it restarted)
   * its running session with a new token, for the same card size: it resumes where the server is.
   */
  async open(body: CaptureOpenRequest): Promise<CaptureSessionDto> {
    const request = { ...body, serial: body.serial.toLowerCase() };
    const serial8 = request.serial.slice(-8);
    const mark = await this.marks.find(serial8);
    if (!mark) {
      throw new NotFoundException(
        `Unit ${request.serial} is not marked for capture: mark it with rpi-deploy netboot unit set ${serial8} --capture --product P --version V`,
      );
    }
    const token = randomBytes(32).toString('base64url');
    const hash = sha256(token);
    const running = this.bySerial(request.serial);
    if (running && running.sizeBytes === request.sizeBytes) {
      running.tokenHash = hash;
      return this.toDto(running, token);
    }
    if (running) await this.drop(running, 'the unit opened a new capture of another size');
    const limits = this.config.images;
    if (request.sizeBytes > limits.maxImageBytes) throw imageTooLarge(limits.maxImageBytes);
    const free = await this.store.freeBytes();
    if (free < limits.diskReserveBytes) throw noSpace(free, limits.diskReserveBytes);
    // A fast level, so that storing keeps up with the card; ChunkRecompression catches up later.
    const cutter = this.images.newChunkCutter(this.config.images.captureZstdLevel);
    await this.images.checkNewVersion(mark.product, mark.version, cutter);
    const uploadPath = this.store.newUploadPath();
    const file = await open(uploadPath, 'wx', 0o600);
    const session = new CaptureSession(
      randomUUID(),
      hash,
      request.serial,
      { product: mark.product, version: mark.version },
      request.sizeBytes,
      uploadPath,
      file,
      cutter,
      new UploadProgressAnnouncer(this.live, `capture of ${serial8}`, request.sizeBytes),
      async () => {
        const left = await this.store.freeBytes();
        if (left < limits.diskReserveBytes) throw noSpace(left, limits.diskReserveBytes);
      },
    );
    this.sessions.set(session.id, session);
    this.logger.log(
      `Unit ${request.serial} captures its card (${request.sizeBytes} bytes) as ${mark.product} ${mark.version}`,
    );
    return this.toDto(session, token);
  }

  state(id: string, token: string | undefined): CaptureStateDto {
    const session = this.authorised(id, token);
    return { sizeBytes: session.sizeBytes, receivedBytes: session.receivedBytes };
  }

  /**
   * Takes the body as the image from `offset` on. An offset beyond the held bytes means zeros up
   * to it (unmapped space is not sent); one before them is refused (409 says where they end). A
   * failure of the pipeline ends the session: nothing of it stays.
   */
  async receive(
    id: string,
    token: string | undefined,
    offset: number,
    length: number | undefined,
    body: IncomingMessage,
  ): Promise<CaptureStateDto> {
    try {
      return await this.take(id, token, offset, length, body);
    } finally {
      // A refusal before the body was read: the client gets to read the answer.
      if (!body.destroyed) discardRestOfBody(body);
    }
  }

  private async take(
    id: string,
    token: string | undefined,
    offset: number,
    length: number | undefined,
    body: IncomingMessage,
  ): Promise<CaptureStateDto> {
    const session = this.authorised(id, token);
    if (offset + (length ?? 0) > session.sizeBytes) {
      throw new BadRequestException(
        `Bytes ${offset}-${offset + (length ?? 0)} go beyond the ${session.sizeBytes} bytes this capture was opened for`,
      );
    }
    if (session.streaming)
      throw new ConflictException('Another stream of this capture is in progress: ask again shortly');
    if (offset < session.receivedBytes) {
      throw new ConflictException(
        `The server holds ${session.receivedBytes} bytes of this capture: send from offset ${session.receivedBytes} or later, not ${offset}`,
      );
    }
    try {
      await session.zerosUntil(offset);
      await session.receive(body);
    } catch (error) {
      const refusal = asHttpError(error);
      // A dropped connection keeps what arrived; anything else (too long, no disk space) ends it.
      if (!isCutShort(error)) await this.drop(session, failureMessage(refusal));
      throw refusal;
    }
    return { sizeBytes: session.sizeBytes, receivedBytes: session.receivedBytes };
  }

  /**
   * Stores the image (zeros after the last bytes sent) as a new, inactive version captured from
   * the unit, and clears its mark.
   */
  async finish(id: string, token: string | undefined): Promise<ImageDto> {
    const session = this.authorised(id, token);
    if (session.streaming) throw new ConflictException('A stream of this capture is still in progress');
    this.sessions.delete(session.id);
    let received;
    try {
      received = await session.finish();
    } catch (error) {
      await this.forget(session, failureMessage(error));
      throw asHttpError(error);
    }
    const started = Date.now();
    const image = await this.images.keep(
      received,
      { uploadedBy: `capture of ${session.serial.slice(-8)}`, capturedFrom: session.serial },
      session.cutter,
      session.announcer,
      started,
    );
    await this.marks.clear(session.serial.slice(-8)).catch(() => undefined);
    this.recompression.start(image.id);
    return image;
  }

  /** Ends sessions idle longer than CAPTURE_IDLE_MS. */
  async dropIdle(now = Date.now()): Promise<void> {
    for (const session of [...this.sessions.values()]) {
      if (!session.streaming && now - session.lastActivity > CAPTURE_IDLE_MS) {
        await this.drop(session, `abandoned: nothing received for ${CAPTURE_IDLE_MS / 60_000} minutes`);
      }
    }
  }

  private async drop(session: CaptureSession, reason: string): Promise<void> {
    if (!this.sessions.delete(session.id)) return;
    await session.discard();
    await this.forget(session, reason);
  }

  private async forget(session: CaptureSession, reason: string): Promise<void> {
    await rm(session.uploadPath, { force: true });
    await this.images.abandonChunks(session.cutter);
    session.announcer.failed(reason);
    this.logger.warn(`Capture of unit ${session.serial} ended without an image: ${reason}`);
  }

  private bySerial(serial: string): CaptureSession | undefined {
    return [...this.sessions.values()].find((session) => session.serial === serial);
  }

  private authorised(id: string, token: string | undefined): CaptureSession {
    if (!token)
      throw new UnauthorizedException('Send the token from POST /api/capture as Authorization: Bearer <token>');
    const session = this.sessions.get(id);
    if (!session) throw new NotFoundException(`No capture session ${id}: open one with POST /api/capture`);
    if (!timingSafeEqual(Buffer.from(sha256(token), 'hex'), Buffer.from(session.tokenHash, 'hex')))
      throw new UnauthorizedException('Wrong token for this capture session');
    return session;
  }

  private toDto(session: CaptureSession, token: string): CaptureSessionDto {
    return {
      captureId: session.id,
      token,
      product: session.fields.product,
      version: session.fields.version,
      sizeBytes: session.sizeBytes,
      receivedBytes: session.receivedBytes,
    };
  }
}

/** The client's connection went away mid-body (node's request errors carry these codes). */
function isCutShort(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
