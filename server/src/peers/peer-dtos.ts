import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import {
  PEER_BATCH_MAX,
  type PeerFaultReport,
  type PeerHoldingsReport,
  type PeerSourcesRequest,
} from '@rpi-deploy/contracts';
import { IsOmittable } from '../validation/is-omittable';

const SHA256 = /^[0-9a-f]{64}$/;
const DeploymentId = () => IsUUID('4', { message: 'deploymentId must be the id /api/config returned' });
const ChunkList = () => (target: object, key: string) => {
  IsArray()(target, key);
  ArrayMaxSize(PEER_BATCH_MAX)(target, key);
  Matches(SHA256, { each: true, message: 'chunks must be lowercase SHA-256 hex digests' })(target, key);
};

export class PeerHoldingsBody implements PeerHoldingsReport {
  @ApiProperty({ format: 'uuid' })
  @DeploymentId()
  deploymentId!: string;

  @ApiProperty({ example: '192.168.151.23:5003' })
  @IsString()
  @MaxLength(60)
  address!: string;

  @ApiProperty({ type: [String], maxItems: PEER_BATCH_MAX })
  @ChunkList()
  chunks!: string[];

  @ApiPropertyOptional({ type: [String], maxItems: PEER_BATCH_MAX })
  @IsOmittable()
  @ChunkList()
  dropped?: string[];

  @ApiPropertyOptional()
  @IsOmittable()
  @IsBoolean()
  finished?: boolean;
}

export class PeerSourcesBody implements PeerSourcesRequest {
  @ApiProperty({ format: 'uuid' })
  @DeploymentId()
  deploymentId!: string;

  @ApiProperty({ type: [String], maxItems: PEER_BATCH_MAX })
  @ChunkList()
  chunks!: string[];
}

export class PeerFaultBody implements PeerFaultReport {
  @ApiProperty({ format: 'uuid' })
  @DeploymentId()
  deploymentId!: string;

  @ApiProperty({ example: 'http://192.168.151.23:5003' })
  @IsString()
  @MaxLength(80)
  peer!: string;

  @ApiProperty()
  @Matches(SHA256, { message: 'sha256 must be a lowercase SHA-256 hex digest' })
  sha256!: string;

  @ApiProperty({ maxLength: 300 })
  @IsString()
  @MaxLength(300)
  problem!: string;
}
