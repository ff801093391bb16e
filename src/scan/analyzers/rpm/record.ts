/** One header blob as a backend stores it, with the number the backend files it under. */
export interface HeaderRecord {
  /** BerkeleyDB key, SQLite `hnum` or NDB package index: what error messages name. */
  id: number;
  blob: Buffer;
}
