import Database from 'better-sqlite3';

/**
 * Copies a live SQLite database with SQLite's online backup API. The copy is taken in one step
 * inside one read transaction, so it is consistent while the server keeps writing (WAL lets
 * the writer go on); small steps would restart each time the server commits.
 */
export async function copySqlite(source: string, destination: string): Promise<void> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(destination, { progress: () => ALL_PAGES });
  } finally {
    db.close();
  }
}

const ALL_PAGES = 0x7fffffff;
