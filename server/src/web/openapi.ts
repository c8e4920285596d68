import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { Router } from 'express';
import * as swaggerUi from 'swagger-ui-express';
import { SERVER_VERSION } from '../version';

export const OPENAPI_PATH = '/api/docs';

export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('rpi-deploy')
    .setDescription(
      'Deployment server for Raspberry Pi 5 fleets. Management routes (port 5000) need a bearer ' +
        'token from POST /api/auth/login; routes tagged "deployment" answer only on the deployment ' +
        'listener (port 5001) and need no login.',
    )
    .setVersion(SERVER_VERSION)
    .addBearerAuth()
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Swagger UI at /api/docs and the document itself at /api/docs/openapi.json. */
export function openApiRouter(document: OpenAPIObject): Router {
  const router = Router();
  router.get(`${OPENAPI_PATH}/openapi.json`, (_request, response) => {
    response.json(document);
  });
  router.use(
    OPENAPI_PATH,
    swaggerUi.serve,
    swaggerUi.setup(document, {
      customSiteTitle: 'rpi-deploy API',
      swaggerOptions: { persistAuthorization: true },
    }),
  );
  return router;
}
