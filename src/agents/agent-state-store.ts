// What an agent chose through the API (logged in, paused, logged out), kept in SQLite so a
// controller restart does not log everyone out in the middle of a shift.
import type { Database } from '../store/database.js';

export const PRESENCES = ['logged-out', 'available', 'paused'] as const;
export type Presence = (typeof PRESENCES)[number];

export interface PresenceRecord {
  agentId: string;
  state: Presence;
  updatedAt: number;
}

export interface AgentStateStore {
  load(): PresenceRecord[];
  save(record: PresenceRecord): void;
}

const isPresence = (value: string): value is Presence => (PRESENCES as readonly string[]).includes(value);

export function createAgentStateStore(db: Database): AgentStateStore {
  const all = db.prepare('SELECT agent_id AS agentId, state, updated_at AS updatedAt FROM agent_state');
  const upsert = db.prepare(`
    INSERT INTO agent_state (agent_id, state, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (agent_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
  `);

  return {
    load(): PresenceRecord[] {
      // The CHECK constraint makes other values impossible; the filter keeps the type honest.
      return (all.all() as { agentId: string; state: string; updatedAt: number }[]).filter(
        (row): row is PresenceRecord => isPresence(row.state),
      );
    },

    save({ agentId, state, updatedAt }: PresenceRecord): void {
      upsert.run(agentId, state, updatedAt);
    },
  };
}
