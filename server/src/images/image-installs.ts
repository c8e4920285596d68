import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** Counts the units installing an image right now, inside the caller's transaction. */
export type InstallCounter = (manager: EntityManager, imageId: number) => Promise<number>;

/**
 * The question "is anyone installing this image?" that deleting an image must ask before it
 * frees the image's file and chunks. Deployments know the answer, but Images may not depend on
 * Deployments (the dependency runs the other way), so Deployments registers the answer here
 * when it starts.
 */
@Injectable()
export class ImageInstalls {
  private counter?: InstallCounter;

  answeredBy(counter: InstallCounter): void {
    this.counter = counter;
  }

  /** Units with an open deployment of `imageId`; 0 when no deployments module runs (the CLI's tools). */
  count(manager: EntityManager, imageId: number): Promise<number> {
    return this.counter ? this.counter(manager, imageId) : Promise.resolve(0);
  }
}
