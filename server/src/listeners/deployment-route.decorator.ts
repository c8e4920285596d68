import { SetMetadata } from '@nestjs/common';

export const DEPLOYMENT_ROUTE = 'rpi-deploy:deployment-route';

/**
 * Marks a controller (or handler) as installer-facing: it answers only on the deployment
 * listener, needs no user login, and answers 404 on the management listener.
 * Every route without this mark answers only on the management listener.
 */
export const DeploymentRoute = () => SetMetadata(DEPLOYMENT_ROUTE, true);
