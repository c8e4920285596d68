import { ConflictException, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { UsersService } from './users.service';

/**
 * On the very first start (no users yet) creates the admin from ADMIN_USERNAME/ADMIN_PASSWORD,
 * once: of several instances starting together, the username's unique index lets one win.
 */
@Injectable()
export class InitialAdmin implements OnApplicationBootstrap {
  private readonly logger = new Logger('InitialAdmin');

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) return;
    const { username } = this.config.admin;
    const generated = this.config.admin.password === undefined;
    const password = this.config.admin.password ?? randomBytes(12).toString('base64url');
    try {
      await this.users.create(username, password, 'admin');
    } catch (error) {
      // Another instance starting on the same empty PostgreSQL database created it first.
      if (error instanceof ConflictException) return;
      throw error;
    }
    if (generated) {
      // Printed once, now: the hash is all the server keeps.
      this.logger.warn(
        `Created the initial admin "${username}" with the generated password: ${password}  ` +
          '(shown only this once: log in and change it under Server > Users)',
      );
    } else {
      this.logger.log(`Created the initial admin "${username}" from ADMIN_PASSWORD`);
    }
  }
}
