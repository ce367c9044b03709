// The database handle's type, on its own so that database.ts (which opens the file and runs the
// migrations) and migrations.ts can both name it without importing each other.
import type BetterSqlite3 from 'better-sqlite3';

export type Database = BetterSqlite3.Database;
