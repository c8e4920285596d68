import { CreateUsers1764100000000 } from './1764100000000-create-users';

/** In order. A migration, once released, is never edited: add a new one instead. */
export const MIGRATIONS = [CreateUsers1764100000000];
