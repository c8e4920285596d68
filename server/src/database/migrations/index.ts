import { CreateUsers1764100000000 } from './1764100000000-create-users';
import { CreateHostnames1764200000000 } from './1764200000000-create-hostnames';
import { CreateImages1764300000000 } from './1764300000000-create-images';
import { CreateDeployments1764400000000 } from './1764400000000-create-deployments';
import { CreateNetbootUnits1764500000000 } from './1764500000000-create-netboot-units';
import { CreateChunkStore1764600000000 } from './1764600000000-create-chunk-store';
import { CreateAuditEntries1764700000000 } from './1764700000000-create-audit-entries';
import { DeploymentIntegrity1764710000000 } from './1764710000000-deployment-integrity';
import { AddDeploymentTransfer1764720000000 } from './1764720000000-add-deployment-transfer';
import { AddBootConfirmation1764730000000 } from './1764730000000-add-boot-confirmation';
import { UnitFailures1764740000000 } from './1764740000000-unit-failures';
import { WallAndLabels1764750000000 } from './1764750000000-wall-and-labels';
import { CreateChunkPatches1764760000000 } from './1764760000000-create-chunk-patches';
import { AddBytesFromPeers1764770000000 } from './1764770000000-add-bytes-from-peers';
import { CanariesAndReleaseNotes1764800000000 } from './1764800000000-canaries-and-release-notes';
import { Cluster1764810000000 } from './1764810000000-cluster';
import { CreateImageDownloads1764820000000 } from './1764820000000-create-image-downloads';
import { Capture1764830000000 } from './1764830000000-capture';
import { CreateChunkClaims1764850000000 } from './1764850000000-create-chunk-claims';
import { AddChunkProbes1764890000000 } from './1764890000000-add-chunk-probes';
import { AddChunkZstdLevels1764900000000 } from './1764900000000-add-chunk-zstd-levels';

/** In order. A migration, once released, is never edited: add a new one instead. */
export const MIGRATIONS = [
  CreateUsers1764100000000,
  CreateHostnames1764200000000,
  CreateImages1764300000000,
  CreateDeployments1764400000000,
  CreateNetbootUnits1764500000000,
  CreateChunkStore1764600000000,
  CreateAuditEntries1764700000000,
  DeploymentIntegrity1764710000000,
  AddDeploymentTransfer1764720000000,
  AddBootConfirmation1764730000000,
  UnitFailures1764740000000,
  WallAndLabels1764750000000,
  CreateChunkPatches1764760000000,
  AddBytesFromPeers1764770000000,
  CanariesAndReleaseNotes1764800000000,
  Cluster1764810000000,
  CreateImageDownloads1764820000000,
  Capture1764830000000,
  CreateChunkClaims1764850000000,
  AddChunkProbes1764890000000,
  AddChunkZstdLevels1764900000000,
];
