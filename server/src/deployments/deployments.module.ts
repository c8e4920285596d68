import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HostnamesModule } from '../hostnames/hostnames.module';
import { ImagesModule } from '../images/images.module';
import { DeploymentEvent } from './deployment-event.entity';
import { DeploymentLog } from './deployment-log';
import { DeploymentUpdates } from './deployment-updates';
import { DeploymentWriter } from './deployment-writer';
import { Deployment } from './deployment.entity';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsService } from './deployments.service';
import { InstallerApiController } from './installer-api.controller';
import { DeploymentRows } from './deployment-rows';
import { StatusReports } from './status-reports';

/** The installer API (config, status) and the deployment history; uses Hostnames and Images. */
@Module({
  imports: [TypeOrmModule.forFeature([Deployment, DeploymentEvent]), HostnamesModule, ImagesModule],
  controllers: [InstallerApiController, DeploymentsController],
  providers: [DeploymentsService, DeploymentLog, DeploymentUpdates, DeploymentWriter, StatusReports, DeploymentRows],
})
export class DeploymentsModule {}
