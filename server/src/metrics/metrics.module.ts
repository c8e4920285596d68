import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { ImagesModule } from '../images/images.module';
import { DeploymentMetrics } from './deployment-metrics';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { ImageMetrics } from './image-metrics';
import { MetricsAccessGuard } from './metrics-access.guard';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/**
 * Prometheus metrics (`GET /metrics`). Reads the other modules through their own channels
 * (DeploymentChanges, DeploymentProbes, ImageTraffic, the live events); none of them knows it.
 */
@Module({
  imports: [AuthModule, DeploymentsModule, ImagesModule],
  controllers: [MetricsController],
  // HttpMetricsMiddleware is not a provider: Nest makes the middleware's one instance itself.
  providers: [MetricsService, MetricsAccessGuard, DeploymentMetrics, ImageMetrics],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}
