import { Global, Module } from '@nestjs/common';
import { DeploymentListener } from './deployment-listener';
import { ListenerGuard } from './listener.guard';

@Global()
@Module({
  providers: [DeploymentListener, ListenerGuard],
  exports: [DeploymentListener, ListenerGuard],
})
export class ListenersModule {}
