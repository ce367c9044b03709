// Every flow that loads, kept (issue 11): each distinct text once as a version, named by its
// sha-256, and every load of it (at start, on SIGHUP, through the API) as an event. Calls name
// the version they ran (calls.flow_version), so one content has one id however often it is
// loaded; the load events keep who put which text in force and when. SQL lives only here.
import { createHash } from 'node:crypto';
import type { Database } from '../store/database.js';

/** How a flow came to be loaded: the file at start, the file again on SIGHUP, a text posted to the API. */
export const FLOW_LOADED_BY = ['start', 'sighup', 'api'] as const;
export type FlowLoadedBy = (typeof FLOW_LOADED_BY)[number];

/** What a running flow carries about its version (Flow.version). */
export interface FlowVersionRef {
  id: number;
  /** sha-256 of the flow's text, hex. */
  hash: string;
}

/** A version: one distinct text, with how it first came in and how often it has loaded since. */
export interface FlowVersion extends FlowVersionRef {
  /** The file path it was read from, or 'api' for a posted text (first load). */
  source: string;
  loadedAt: number;
  loadedBy: FlowLoadedBy;
  /** Who, when known (the API's `by`). */
  by: string | null;
  note: string | null;
  /** Load events of this text, the first included. */
  loads: number;
  lastLoadedAt: number;
}

export interface FlowVersionWithContent extends FlowVersion {
  content: string;
}

/** One load event. */
export interface FlowLoad {
  id: number;
  version: number;
  hash: string;
  source: string;
  loadedAt: number;
  loadedBy: FlowLoadedBy;
  by: string | null;
  note: string | null;
}

export interface FlowLoadInput {
  content: string;
  source: string;
  loadedBy: FlowLoadedBy;
  by?: string | null;
  note?: string | null;
  at: number;
}

export interface RecordedLoad {
  version: FlowVersionRef;
  load: FlowLoad;
  /** The text was new: a version row was added. */
  created: boolean;
}

export interface PageOptions {
  limit: number;
  /** Only rows with an id below this one: the previous page's last id. */
  before?: number;
}

export interface FlowVersionStore {
  /**
   * Stores a load: the version (added when its hash is new, reused otherwise) and the load
   * event, in one transaction. `alongside` runs inside that transaction, last: when it throws,
   * nothing is stored (the API writes the flow file there, so the file and the table agree).
   */
  record(input: FlowLoadInput, options?: { alongside?: () => void }): RecordedLoad;
  /** The version of a text's hash, if that text ever loaded. */
  findByHash(hash: string): FlowVersionRef | undefined;
  /** Versions, newest first, without their text. */
  list(options: PageOptions): FlowVersion[];
  get(id: number): FlowVersionWithContent | undefined;
  /** Load events, newest first. */
  loads(options: PageOptions): FlowLoad[];
}

/** The version hash: sha-256 of the text exactly as loaded (UTF-8), hex. */
export function flowHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const VERSION_COLUMNS = `
  v.id, v.hash, v.source, v.loaded_at AS loadedAt, v.loaded_by AS loadedBy, v.by_whom AS "by", v.note,
  (SELECT COUNT(*) FROM flow_loads l WHERE l.version = v.id) AS loads,
  (SELECT MAX(l.loaded_at) FROM flow_loads l WHERE l.version = v.id) AS lastLoadedAt`;

const LOAD_COLUMNS = `
  l.id, l.version, v.hash, l.source, l.loaded_at AS loadedAt, l.loaded_by AS loadedBy, l.by_whom AS "by", l.note`;

export function createFlowVersionStore(db: Database): FlowVersionStore {
  const byHash = db.prepare('SELECT id, hash FROM flow_versions WHERE hash = ?');
  const insertVersion = db.prepare(
    `INSERT INTO flow_versions (hash, content, source, loaded_at, loaded_by, by_whom, note)
     VALUES (@hash, @content, @source, @at, @loadedBy, @by, @note)
     RETURNING id, hash`,
  );
  const insertLoad = db.prepare(
    `INSERT INTO flow_loads (version, source, loaded_at, loaded_by, by_whom, note)
     VALUES (@version, @source, @at, @loadedBy, @by, @note)
     RETURNING id`,
  );
  const loadById = db.prepare(`SELECT ${LOAD_COLUMNS} FROM flow_loads l JOIN flow_versions v ON v.id = l.version WHERE l.id = ?`);
  // Two statements per listing rather than `? IS NULL OR id < ?`, which keeps the primary key
  // usable for the first page (as the call log does).
  const latest = db.prepare(`SELECT ${VERSION_COLUMNS} FROM flow_versions v ORDER BY v.id DESC LIMIT ?`);
  const latestBefore = db.prepare(`SELECT ${VERSION_COLUMNS} FROM flow_versions v WHERE v.id < ? ORDER BY v.id DESC LIMIT ?`);
  const byId = db.prepare(`SELECT ${VERSION_COLUMNS}, v.content FROM flow_versions v WHERE v.id = ?`);
  const latestLoads = db.prepare(
    `SELECT ${LOAD_COLUMNS} FROM flow_loads l JOIN flow_versions v ON v.id = l.version ORDER BY l.id DESC LIMIT ?`,
  );
  const latestLoadsBefore = db.prepare(
    `SELECT ${LOAD_COLUMNS} FROM flow_loads l JOIN flow_versions v ON v.id = l.version WHERE l.id < ? ORDER BY l.id DESC LIMIT ?`,
  );

  const record = db.transaction((input: FlowLoadInput, alongside: (() => void) | undefined): RecordedLoad => {
    const hash = flowHash(input.content);
    const row = { ...input, hash, by: input.by ?? null, note: input.note ?? null };
    const known = byHash.get(hash) as FlowVersionRef | undefined;
    const version = known ?? (insertVersion.get(row) as FlowVersionRef);
    const { id } = insertLoad.get({ ...row, version: version.id }) as { id: number };
    alongside?.();
    return { version: { id: version.id, hash }, load: loadById.get(id) as FlowLoad, created: known === undefined };
  });

  return {
    // IMMEDIATE: the hash lookup and the insert see the same table even with a second writer.
    record: (input, options = {}) => record.immediate(input, options.alongside),
    findByHash: (hash) => byHash.get(hash) as FlowVersionRef | undefined,
    list: ({ limit, before }) => (before === undefined ? latest.all(limit) : latestBefore.all(before, limit)) as FlowVersion[],
    get: (id) => byId.get(id) as FlowVersionWithContent | undefined,
    loads: ({ limit, before }) =>
      (before === undefined ? latestLoads.all(limit) : latestLoadsBefore.all(before, limit)) as FlowLoad[],
  };
}
