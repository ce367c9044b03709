// Where a live call was in its flow, for the controller that adopts it after a crash or a
// restart: the step it last entered and the facts its later steps read, as the recorder last
// wrote them (calls.resume_step, calls.resume_facts). A point still in a dead controller's
// buffer is lost; the adopter then sees the one before it, or none.
import type { Database } from './db-types.js';

export interface StoredResumePoint {
  step: string;
  /** The facts as stored (JSON parsed); the caller checks their shape. */
  facts: unknown;
}

/**
 * Read by the call handler once per adopted call. A promise, so that a store whose reads are
 * asynchronous (a later PostgreSQL store) provides it too. Rejects when the store fails.
 */
export interface ResumePoints {
  /** The call's resume point; undefined when none was written (or there is no such call). */
  read(callId: string): Promise<StoredResumePoint | undefined>;
}

export function createResumePoints(db: Database): ResumePoints {
  const select = db.prepare('SELECT resume_step AS step, resume_facts AS facts FROM calls WHERE id = ?');
  return {
    read(callId) {
      // A promise that rejects, never a throw: the caller awaits it.
      return new Promise((resolve) => {
        const row = select.get(callId) as { step: string | null; facts: string | null } | undefined;
        if (!row || row.step === null) return resolve(undefined);
        resolve({ step: row.step, facts: row.facts === null ? {} : (JSON.parse(row.facts) as unknown) });
      });
    },
  };
}
