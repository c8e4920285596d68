import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../config/app-config';
import { markDeploymentRequest } from './request-listener';

/**
 * The second HTTP listener of the process (installer-facing, on the deployment VLAN). It
 * shares the Nest application's request handler; ListenerGuard decides which routes answer.
 */
@Injectable()
export class DeploymentListener implements OnApplicationShutdown {
  private readonly logger = new Logger(DeploymentListener.name);
  private server?: Server;
  private boundPort?: number;

  constructor(private readonly config: AppConfig) {}

  /**
   * Base URL handed to the Pis: DEPLOY_PUBLIC_URL, or the one derived from the configuration,
   * with the port actually bound when the configuration asked for any free one (port 0).
   */
  publicUrl(): string {
    const configured = this.config.deployment.publicUrl;
    if (this.config.deployment.port !== 0 || this.boundPort === undefined) return configured;
    return configured.replace(/:0$/, `:${this.boundPort}`);
  }

  async listen(handler: RequestListener, host: string, port: number): Promise<AddressInfo> {
    const server = createServer((request, response) => {
      markDeploymentRequest(request);
      handler(request, response);
    });
    // Pis on a slow link may take a while between requests of a download; keep sockets usable.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.boundPort = address.port;
    return address;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    this.logger.log('Deployment listener closed');
  }
}
