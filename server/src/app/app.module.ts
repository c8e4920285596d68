import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { AuditModule } from '../audit/audit.module';
import { AuthGuard } from '../auth/auth.guard';
import { AuthModule } from '../auth/auth.module';
import { RolesGuard } from '../auth/roles.guard';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { PeersModule } from '../peers/peers.module';
import { DeploymentHealthController, ManagementHealthController } from '../health/health.controller';
import { HostnamesModule } from '../hostnames/hostnames.module';
import { ImagesModule } from '../images/images.module';
import { NetbootModule } from '../netboot/netboot.module';
import { PreflightModule } from '../preflight/preflight.module';
import { ProxmoxModule } from '../proxmox/proxmox.module';
import { ListenerGuard } from '../listeners/listener.guard';
import { ListenersModule } from '../listeners/listeners.module';
import { LiveModule } from '../live/live.module';
import { MetricsModule } from '../metrics/metrics.module';
import { UsersModule } from '../users/users.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        ListenersModule,
        AuditModule,
        AuthModule,
        LiveModule,
        UsersModule,
        HostnamesModule,
        ImagesModule,
        DeploymentsModule,
        PeersModule,
        NetbootModule,
        PreflightModule,
        ProxmoxModule,
        MetricsModule,
      ],
      controllers: [DeploymentHealthController, ManagementHealthController],
      providers: [
        // Global guards run in this order: wrong listener -> 404, then 401, then 403.
        { provide: APP_GUARD, useExisting: ListenerGuard },
        { provide: APP_GUARD, useExisting: AuthGuard },
        { provide: APP_GUARD, useExisting: RolesGuard },
        // After the guards: only calls that were allowed in reach the audit log.
        { provide: APP_INTERCEPTOR, useExisting: AuditInterceptor },
      ],
    };
  }
}
