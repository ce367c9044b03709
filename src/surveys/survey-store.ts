// N16: satisfaction ratings, one row per answered survey, with the conversation it rates
// (call, agent, group, ticket) so N17 reports can score agents and groups.
import type { Database } from '../store/database.js';

export interface SurveyRow {
  id: number;
  callId: string;
  agent: string | null;
  group: string | null;
  ticket: string | null;
  rating: number;
  at: number;
}

export interface SurveyStore {
  add(row: Omit<SurveyRow, 'id'>): SurveyRow;
  forCall(callId: string): SurveyRow[];
}

const COLUMNS = 'id, call_id AS callId, agent, grp AS "group", ticket, rating, at';

export function createSurveyStore(db: Database): SurveyStore {
  const insert = db.prepare(`INSERT INTO surveys (call_id, agent, grp, ticket, rating, at) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`);
  const byCall = db.prepare(`SELECT ${COLUMNS} FROM surveys WHERE call_id = ? ORDER BY id`);
  return {
    add: (r) => insert.get(r.callId, r.agent, r.group, r.ticket, r.rating, r.at) as SurveyRow,
    forCall: (callId) => byCall.all(callId) as SurveyRow[],
  };
}
