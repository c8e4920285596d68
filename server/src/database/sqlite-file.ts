/** The SQLite database's name in DATA_DIR (kept apart from the TypeORM setup so the CLI's backup need not load the entities). */
export const SQLITE_FILE_NAME = 'rpi-deploy.sqlite';
