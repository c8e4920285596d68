import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HostnamesModule } from '../hostnames/hostnames.module';
import { ImagesModule } from '../images/images.module';
import { BootConfirmations } from './boot-confirmations.service';
import { DeploymentChanges } from './deployment-changes';
import { DeploymentEvent } from './deployment-event.entity';
import { DeploymentHistoryService } from './deployment-history.service';
import { DeploymentLifecycleService } from './deployment-lifecycle.service';
import { DeploymentLog } from './deployment-log';
import { DeploymentProbes } from './deployment-probes';
import { DeploymentRowWriter } from './deployment-row-writer';
import { DeploymentUpdates } from './deployment-updates';
import { Deployment } from './deployment.entity';
import { DeploymentsController } from './deployments.controller';
import { ImageInstallsAnswer } from './image-installs-answer';
import { InstallerApiController } from './installer-api.controller';
import { OpenDeployments } from './open-deployments';
import { StatusReports } from './status-reports';

/**
 * The installer API (config, status: DeploymentLifecycleService) and the deployment history
 * (DeploymentHistoryService); uses Hostnames and Images. Other modules learn of deployment
 * changes through DeploymentChanges and measure it through DeploymentProbes, the two things exported.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Deployment, DeploymentEvent]), HostnamesModule, ImagesModule],
  controllers: [InstallerApiController, DeploymentsController],
  providers: [
    DeploymentLifecycleService,
    DeploymentHistoryService,
    DeploymentChanges,
    DeploymentLog,
    DeploymentUpdates,
    OpenDeployments,
    StatusReports,
    DeploymentRowWriter,
    DeploymentProbes,
    ImageInstallsAnswer,
    BootConfirmations,
  ],
  exports: [DeploymentChanges, DeploymentProbes],
})
export class DeploymentsModule {}
