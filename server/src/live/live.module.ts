import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UsersModule } from '../users/users.module';
import { LiveEvents } from './live-events';
import { LiveGateway } from './live.gateway';

/** Live updates for the dashboards: any module publishes to LiveEvents, the gateway delivers. */
@Global()
@Module({
  imports: [AuthModule, UsersModule],
  providers: [LiveEvents, LiveGateway],
  exports: [LiveEvents],
})
export class LiveModule {}
