import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsIP,
  IsNumber,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  BOOT_FIELD_LIMITS,
  BOOTED_STATUS,
  DEPLOYMENT_STATUSES,
  FAILURE_CODE_NAMES,
  type BootedReport,
  type BootedStatus,
  type ByteSources,
  STATUS_TEXT_LIMITS,
  type FailureCode,
  type ConfigRequest,
  type DeploymentStatus,
  type StageThroughput,
  type TransferCounts,
  type StatusReport,
} from '@rpi-deploy/contracts';
import { AssignHostnameBody } from '../../hostnames/dto/hostname.dto';
import { IsOmittable } from '../../validation/is-omittable';

const MAX_BYTES = Number.MAX_SAFE_INTEGER;

/** What /api/hostnames/assign takes, plus what the unit tells about itself. */
export class ConfigBody extends AssignHostnameBody implements ConfigRequest {
  @ApiPropertyOptional({ example: 'Raspberry Pi 5 Model B Rev 1.0' })
  @IsOmittable()
  @IsString()
  @MaxLength(100)
  model?: string;

  @ApiPropertyOptional({ description: 'size of the target card in bytes' })
  @IsOmittable()
  @IsInt({ message: 'storageBytes must be a whole number of bytes' })
  @Min(0)
  @Max(MAX_BYTES)
  storageBytes?: number;
}

class ThroughputBody implements StageThroughput {
  @ApiPropertyOptional({ description: 'bytes/s' }) @IsOmittable() @IsNumber() @Min(0) @Max(MAX_BYTES) download?: number;
  @ApiPropertyOptional({ description: 'bytes/s' }) @IsOmittable() @IsNumber() @Min(0) @Max(MAX_BYTES) write?: number;
  @ApiPropertyOptional({ description: 'bytes/s' }) @IsOmittable() @IsNumber() @Min(0) @Max(MAX_BYTES) verify?: number;
}

class TransferBody implements TransferCounts {
  @ApiProperty({ description: 'bytes received, refetches included' })
  @IsInt({ message: 'transfer.bytesFetched must be a whole number of bytes' })
  @Min(0)
  @Max(MAX_BYTES)
  bytesFetched!: number;

  @ApiProperty({ description: 'bytes written to the card' })
  @IsInt({ message: 'transfer.bytesWritten must be a whole number of bytes' })
  @Min(0)
  @Max(MAX_BYTES)
  bytesWritten!: number;

  @ApiPropertyOptional({ description: 'chunks the card already held' })
  @IsOmittable()
  @IsInt({ message: 'transfer.chunksReused must be a whole number' })
  @Min(0)
  @Max(MAX_BYTES)
  chunksReused?: number;

  @ApiPropertyOptional({ description: "chunks in the image's manifest" })
  @IsOmittable()
  @IsInt({ message: 'transfer.chunksTotal must be a whole number' })
  @Min(0)
  @Max(MAX_BYTES)
  chunksTotal?: number;

  @ApiPropertyOptional({ description: 'of bytesFetched, those other units served' })
  @IsOmittable()
  @IsInt({ message: 'transfer.bytesFromPeers must be a whole number of bytes' })
  @Min(0)
  @Max(MAX_BYTES)
  bytesFromPeers?: number;
}

class SourcesBody implements ByteSources {
  @ApiProperty({ description: 'bytes received from the server so far' })
  @IsInt({ message: 'sources.fromServer must be a whole number of bytes' })
  @Min(0)
  @Max(MAX_BYTES)
  fromServer!: number;

  @ApiProperty({ description: 'bytes received from other units so far' })
  @IsInt({ message: 'sources.fromPeers must be a whole number of bytes' })
  @Min(0)
  @Max(MAX_BYTES)
  fromPeers!: number;
}

const REPORTED_STATUSES = [...DEPLOYMENT_STATUSES, BOOTED_STATUS];

/** A field of the boot confirmation: text of 1 to `limit` characters. */
const BootFact = (limit: number) => applyDecorators(IsOmittable(), IsString(), MinLength(1), MaxLength(limit));

/**
 * `POST /api/status`: an installer's report (StatusReport), or the product's first boot
 * confirming it (BootedReport, status `booted`, with what the unit says about itself).
 */
export class StatusBody implements Omit<StatusReport, 'status'>, Omit<BootedReport, 'status'> {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('4', { message: 'deploymentId must be the id /api/config returned' })
  deploymentId!: string;

  @ApiProperty({ enum: REPORTED_STATUSES })
  @IsIn(REPORTED_STATUSES, { message: `status must be one of ${REPORTED_STATUSES.join(', ')}` })
  status!: DeploymentStatus | BootedStatus;

  @ApiPropertyOptional({ maxLength: BOOT_FIELD_LIMITS.hostname, description: 'with booted: the hostname it booted as' })
  @BootFact(BOOT_FIELD_LIMITS.hostname)
  hostname?: string;

  @ApiPropertyOptional({ maxLength: BOOT_FIELD_LIMITS.machineId, description: 'with booted: /etc/machine-id' })
  @BootFact(BOOT_FIELD_LIMITS.machineId)
  machineId?: string;

  @ApiPropertyOptional({ maxLength: BOOT_FIELD_LIMITS.imageVersion, description: 'with booted: the image version' })
  @BootFact(BOOT_FIELD_LIMITS.imageVersion)
  imageVersion?: string;

  @ApiPropertyOptional({ maxLength: BOOT_FIELD_LIMITS.kernel, description: 'with booted: uname -r' })
  @BootFact(BOOT_FIELD_LIMITS.kernel)
  kernel?: string;

  @ApiPropertyOptional({ description: "with booted: the unit's IPv4 or IPv6 address" })
  @IsOmittable()
  @IsIP(undefined, { message: 'address must be an IPv4 or IPv6 address' })
  address?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOmittable()
  @IsNumber({}, { message: 'progress must be a number 0-100' })
  @Min(0)
  @Max(100)
  progress?: number;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsInt({ message: 'bytesDone must be a whole number' })
  @Min(0)
  @Max(MAX_BYTES)
  bytesDone?: number;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsInt({ message: 'bytesTotal must be a whole number' })
  @Min(0)
  @Max(MAX_BYTES)
  bytesTotal?: number;

  @ApiPropertyOptional({ type: ThroughputBody })
  @IsOmittable()
  @ValidateNested()
  @Type(() => ThroughputBody)
  throughput?: ThroughputBody;

  @ApiPropertyOptional({ type: TransferBody, description: 'with success: what the install fetched, wrote and reused' })
  @IsOmittable()
  @ValidateNested()
  @Type(() => TransferBody)
  transfer?: TransferBody;

  @ApiPropertyOptional({ type: SourcesBody, description: 'while downloading: bytes received so far, by source' })
  @IsOmittable()
  @ValidateNested()
  @Type(() => SourcesBody)
  sources?: SourcesBody;

  @ApiPropertyOptional({ maxLength: STATUS_TEXT_LIMITS.message })
  @IsOmittable()
  @IsString()
  @MaxLength(STATUS_TEXT_LIMITS.message)
  message?: string;

  @ApiPropertyOptional({ maxLength: STATUS_TEXT_LIMITS.error })
  @IsOmittable()
  @IsString()
  @MaxLength(STATUS_TEXT_LIMITS.error)
  error?: string;

  @ApiPropertyOptional({ enum: FAILURE_CODE_NAMES, description: 'with failed: why, classified by the installer' })
  @IsOmittable()
  @IsIn(FAILURE_CODE_NAMES, { message: `failureCode must be one of ${FAILURE_CODE_NAMES.join(', ')}` })
  failureCode?: FailureCode;
}

/** An installer's report: any status but `booted`. */
export type InstallReportBody = StatusBody & { status: DeploymentStatus };

/** The product's first boot confirming the deployment. */
export type BootedReportBody = StatusBody & { status: BootedStatus };
