import { User } from '../users/user.entity';

/** Every entity of the schema; the migrations in ./migrations create their tables. */
export const ENTITIES = [User];
