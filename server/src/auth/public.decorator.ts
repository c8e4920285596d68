import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'rpi-deploy:public';

/** A management route that needs no login (only the login itself). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
