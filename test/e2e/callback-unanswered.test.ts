// N8 end to end: a callee who never answers is retried `retryMs` apart (agent first each time)
// and then expired at its deadline, with its events; nothing is dialled after it. The flow
// promises line trouble within one minute (callbacks.promiseMinutes), rings 5 s, retries 15 s.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriObserver } from './support/ari-observer.js';
import { readDb, until } from './support/db-reader.js';
import { clearLane } from './support/lane.js';
import { TestCallers } from './support/test-caller.js';
import { freshCaller, startTestController, type TestController } from './support/test-controller.js';

describe('N8 a callee who does not answer', () => {
  const callers = new TestCallers();
  const observer = new AriObserver();
  const dbFile = join(mkdtempSync(join(tmpdir(), 'hotline-e2e-')), 'hotline.db');
  let hotline: TestController;

  beforeAll(async () => {
    await callers.connect();
    await observer.connect();
    await clearLane(callers);
    hotline = await startTestController('test/fixtures/flows/callback-unanswered.yaml', { HOTLINE_DB: dbFile, FLOW_TIME_SCALE: '1' });
    const res = await fetch(`${hotline.controller.httpUrl}/api/agents/u1/login`, { method: 'POST', headers: { Authorization: `Bearer ${hotline.token}` } });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await hotline?.stop();
    callers.close();
    observer.close();
  });

  it('N8: no answer, retried 15 s after each attempt, then expired at the 1 min deadline; never dialled after', async () => {
    // 139XXXXXXXX rings for ever in the test callees' dialplan.
    const number = `139${freshCaller().slice(3)}`;
    const res = await fetch(`${hotline.controller.httpUrl}/api/callbacks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${hotline.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ number, reason: 'line-trouble', group: 'desk' }),
    });
    expect(res.status).toBe(201);
    const { callback } = (await res.json()) as { callback: { id: number; promisedBy: number; createdAt: number } };
    expect(callback.promisedBy - callback.createdAt).toBe(60_000);
    const db = readDb(dbFile);
    try {
      const events = await until('the callback expired', 120_000, () => {
        const logged = db.events(`callback-${callback.id}`);
        return logged.some((e) => e.type === 'callback.expired') ? logged : undefined;
      });
      const row = db.callback(callback.id);
      const attempts = events.filter((e) => e.type === 'callback.attempt');
      const expired = events.filter((e) => e.type === 'callback.expired');
      // At least two attempts, each unanswered after the full 5 s ring.
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts.map((e) => e.data.outcome)).toEqual(attempts.map(() => 'no-answer'));
      expect(attempts.map((e) => e.data.attempt)).toEqual(attempts.map((_, i) => i + 1));
      for (const a of attempts) expect(a.data.ringMs as number).toBeGreaterThanOrEqual(4750);
      expect(row).toMatchObject({ status: 'expired', attempts: attempts.length, outcome: 'no-answer' });
      expect(expired).toHaveLength(1);
      expect(expired[0]!.data).toMatchObject({ id: callback.id, attempts: attempts.length, promisedBy: callback.promisedBy });
      // Expired once no further attempt fits before the deadline: at the deadline at the latest.
      expect(expired[0]!.ts).toBeLessThanOrEqual(callback.promisedBy + 1000);

      // What Asterisk saw: one dial per attempt, retryMs (15 s) or more apart, none after expiry.
      const dials = observer.channelsCreated(`Local/${number}@hotline-test-callees`).filter((c) => c.name.endsWith(';1'));
      expect(dials).toHaveLength(attempts.length);
      const gaps = dials.slice(1).map((d, i) => d.at - dials[i]!.at);
      // Each gap: the 5 s ring, the agent told 对方未接听, 15 s, then the agent rung and told why again.
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(5000 + 15_000);
      console.log(`N8 unanswered: ${attempts.length} attempts, dials ${gaps.join(', ')} ms apart; expired ${callback.promisedBy - expired[0]!.ts} ms before the deadline`);
      await new Promise((r) => setTimeout(r, 3000));
      expect(observer.channelsCreated(`Local/${number}@hotline-test-callees`).filter((c) => c.name.endsWith(';1'))).toHaveLength(attempts.length);
    } finally {
      db.close();
    }
  }, 180_000);
});
