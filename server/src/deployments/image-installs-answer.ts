import { Injectable, OnModuleInit } from '@nestjs/common';
import { In } from 'typeorm';
import { ImageInstalls } from '../images/image-installs';
import { Deployment } from './deployment.entity';
import { OPEN_STATUSES } from './open-deployments';

/** Tells Images how many units are installing an image, so it never deletes one in use. */
@Injectable()
export class ImageInstallsAnswer implements OnModuleInit {
  constructor(private readonly installs: ImageInstalls) {}

  onModuleInit(): void {
    this.installs.answeredBy((manager, imageId) =>
      manager.count(Deployment, { where: { imageId, status: In(OPEN_STATUSES) } }),
    );
  }
}
