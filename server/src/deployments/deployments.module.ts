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
import { CanaryOutcomesAnswer } from './canary-outcomes-answer';
import { InstallerApiController } from './installer-api.controller';
import { LabelsController } from './labels/labels.controller';
import { LabelsService } from './labels/labels.service';
import { OpenDeployments } from './open-deployments';
import { StatusReports } from './status-reports';
import { TrafficSamples } from './traffic-samples';
import { UnitCommand } from './unit-commands/unit-command.entity';
import { UnitCommandsController } from './unit-commands/unit-commands.controller';
import { UnitCommandsService } from './unit-commands/unit-commands.service';
import { UnitPollController } from './unit-commands/unit-poll.controller';

/**
 * The installer API (config, status: DeploymentLifecycleService) and the deployment history
 * (DeploymentHistoryService); uses Hostnames and Images. Other modules learn of deployment
 * changes through DeploymentChanges and measure it through DeploymentProbes, the two things exported.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Deployment, DeploymentEvent, UnitCommand]), HostnamesModule, ImagesModule],
  controllers: [
    InstallerApiController,
    DeploymentsController,
    LabelsController,
    UnitCommandsController,
    UnitPollController,
  ],
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
    CanaryOutcomesAnswer,
    LabelsService,
    UnitCommandsService,
    BootConfirmations,
    TrafficSamples,
  ],
  exports: [DeploymentChanges, DeploymentProbes],
})
export class DeploymentsModule {}
