import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HostnamesModule } from '../hostnames/hostnames.module';
import { ImagesModule } from '../images/images.module';
import { DeploymentEvent } from './deployment-event.entity';
import { DeploymentLog } from './deployment-log';
import { DeploymentRowWriter } from './deployment-row-writer';
import { DeploymentUpdates } from './deployment-updates';
import { Deployment } from './deployment.entity';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsService } from './deployments.service';
import { InstallerApiController } from './installer-api.controller';
import { OpenDeployments } from './open-deployments';
import { StatusReports } from './status-reports';

/** The installer API (config, status) and the deployment history; uses Hostnames and Images. */
@Module({
  imports: [TypeOrmModule.forFeature([Deployment, DeploymentEvent]), HostnamesModule, ImagesModule],
  controllers: [InstallerApiController, DeploymentsController],
  providers: [
    DeploymentsService,
    DeploymentLog,
    DeploymentUpdates,
    OpenDeployments,
    StatusReports,
    DeploymentRowWriter,
  ],
})
export class DeploymentsModule {}
