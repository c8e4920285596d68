import { AuditEntry } from '../audit/audit-entry.entity';
import { DeploymentEvent } from '../deployments/deployment-event.entity';
import { Deployment } from '../deployments/deployment.entity';
import { UnitCommand } from '../deployments/unit-commands/unit-command.entity';
import { Batch } from '../hostnames/batches/batch.entity';
import { HostnameRecord } from '../hostnames/hostname-record.entity';
import { Venue } from '../hostnames/venues/venue.entity';
import { Chunk, ChunkPatchRow, ImageChunkRow } from '../images/chunks/chunk.entity';
import { ImageCanary } from '../images/canary/canary.entity';
import { CaptureMark } from '../images/capture/capture-mark.entity';
import { Image } from '../images/image.entity';
import { ImageDownload } from '../images/store/image-download.entity';
import { NetbootUnit } from '../netboot/tftp/netboot-unit.entity';
import { User } from '../users/user.entity';

/** Every entity of the schema; the migrations in ./migrations create their tables. */
export const ENTITIES = [
  User,
  Venue,
  HostnameRecord,
  Batch,
  Image,
  ImageCanary,
  CaptureMark,
  Chunk,
  ImageChunkRow,
  ChunkPatchRow,
  ImageDownload,
  Deployment,
  DeploymentEvent,
  NetbootUnit,
  AuditEntry,
  UnitCommand,
];
