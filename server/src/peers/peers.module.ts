import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeploymentEvent } from '../deployments/deployment-event.entity';
import { Deployment } from '../deployments/deployment.entity';
import { PeersController } from './peers.controller';
import { PeersService } from './peers.service';

/** The peer tracker (issue 17): who holds which chunk, and where each unit should fetch it. */
@Module({
  imports: [TypeOrmModule.forFeature([Deployment, DeploymentEvent])],
  controllers: [PeersController],
  providers: [PeersService],
})
export class PeersModule {}
