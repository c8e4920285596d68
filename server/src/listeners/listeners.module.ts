import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DeploymentListener } from './deployment-listener';
import { ListenerGuard } from './listener.guard';

@Global()
@Module({
  providers: [DeploymentListener, { provide: APP_GUARD, useClass: ListenerGuard }],
  exports: [DeploymentListener],
})
export class ListenersModule {}
