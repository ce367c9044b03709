// N7 number policy, N8 deadlines, and the callback table.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCallbackStore } from '../../src/callbacks/callback-store.js';
import { CALLBACK_REASONS, DEFAULT_PROMISE_MINUTES, promisedBy } from '../../src/callbacks/deadlines.js';
import { checkCallbackNumber, DEFAULT_ALLOWED_PATTERNS, NumberPatterns } from '../../src/callbacks/number-policy.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { callbackWhisperPrompts } from '../../src/agents/whisper-prompts.js';
import { catalogueIds } from './support/fake-call.js';

describe('checkCallbackNumber (N7)', () => {
  it.each(['13800138000', '19912345678', '01062345678', '075582345678', '13800138000#'])(
    'accepts %s with the default patterns',
    (number) => {
      expect(checkCallbackNumber(number, DEFAULT_ALLOWED_PATTERNS)).toEqual({ ok: true, number: number.replace('#', '') });
    },
  );

  // More numbers, the kinds and the toll-fraud regressions: number-pattern.test.ts.
  it.each([
    ['an international number', '0085212345678', 'international'],
    ['a 400 number', '4008008000', '400-800'],
    ['a short service number', '95588', 'premium'],
    ['a carrier number', '10086', 'not-allowed'],
    ['a 12xxx number', '12345678901', 'not-allowed'],
    ['an SMS gateway prefix', '10690000000', 'not-allowed'],
    ['a mobile one digit short', '1380013800', 'not-allowed'],
    ['a mobile one digit long', '138001380001', 'not-allowed'],
    ['a local number without area code', '12345678', 'not-allowed'],
    ['a mobile with a digit too many twice', '1380013800012', 'too-long'],
  ])('refuses %s', (_label, number, reason) => {
    expect(checkCallbackNumber(number, DEFAULT_ALLOWED_PATTERNS)).toEqual({ ok: false, reason });
  });

  it.each([
    ['', 'empty'],
    ['#', 'empty'],
    ['+8613800138000', 'international'],
    ['138 0013 8000', 'not-digits'],
    ['1380013800*', 'not-digits'],
    ['13800138000##', 'not-digits'],
    ['1'.repeat(21), 'too-long'],
  ])('%j is %s', (number, reason) => {
    expect(checkCallbackNumber(number, DEFAULT_ALLOWED_PATTERNS)).toEqual({ ok: false, reason });
  });

  it('matches a pattern against the whole number', () => {
    expect(checkCallbackNumber('99138', ['_138']).ok).toBe(false);
    expect(checkCallbackNumber('1389', ['_13[89]']).ok).toBe(false);
    expect(checkCallbackNumber('139', ['_13[89]']).ok).toBe(true);
    expect(checkCallbackNumber('139', ['139']).ok).toBe(true);
  });

  it('allows nothing with no patterns', () => {
    expect(checkCallbackNumber('13800138000', [])).toEqual({ ok: false, reason: 'not-allowed' });
  });

  it('NumberPatterns rejects regular expressions, malformed patterns and empty lists', () => {
    expect(NumberPatterns.safeParse([...DEFAULT_ALLOWED_PATTERNS]).success).toBe(true);
    expect(NumberPatterns.safeParse(['^1[3-9]\\d{9}$']).success).toBe(false);
    expect(NumberPatterns.safeParse(['_1[3-9']).success).toBe(false);
    expect(NumberPatterns.safeParse([]).success).toBe(false);
  });
});

describe('promisedBy (N8)', () => {
  it.each([
    ['line-trouble', 3],
    ['dropped', 3],
    ['unanswered-query', 30],
    ['transfer-failed', 30],
    ['complaint-urgent', 120],
    ['complaint', 1440],
    ['revisit', 1440],
  ] as const)('%s: %i minutes', (reason, minutes) => {
    expect(promisedBy(reason, 1_000)).toBe(1_000 + minutes * 60_000);
  });

  it('covers every reason', () => {
    expect(Object.keys(DEFAULT_PROMISE_MINUTES).sort()).toEqual([...CALLBACK_REASONS].sort());
  });

  it('N8: every reason has the words the agent hears before the callee is dialled (回拨: …)', () => {
    for (const reason of CALLBACK_REASONS) expect(catalogueIds().has(`callback.reason.${reason}`), reason).toBe(true);
    const offer = { callId: 'x', caller: '13800138000', group: 'g', menuPath: [], calledEarlierToday: false, ticket: '2603100001' };
    const prompts = callbackWhisperPrompts({ ...offer, callback: { id: 1, reason: 'transfer-failed', attempt: 1 } }, ['ticket', 'caller']);
    expect(prompts.slice(0, 4)).toEqual(['whisper.callback', 'callback.reason.transfer-failed', 'whisper.ticket', 'digit.2']);
    expect(prompts.indexOf('whisper.caller')).toBe(2 + 1 + 10);
    // The flow may leave the number and the ticket out; the why is always said.
    expect(callbackWhisperPrompts({ ...offer, callback: { id: 1, reason: 'dropped', attempt: 1 } }, [])).toEqual([
      'whisper.callback', 'callback.reason.dropped',
    ]);
  });

  it('takes the flow file\'s minutes', () => {
    expect(promisedBy('dropped', 0, { ...DEFAULT_PROMISE_MINUTES, dropped: 1 })).toBe(60_000);
  });
});

describe('callback store', () => {
  let db: Database;
  beforeEach(() => {
    db = openDatabase(':memory:');
  });
  afterEach(() => {
    db.close();
  });

  it('persists a pending callback with its promised deadline', () => {
    const store = createCallbackStore(db);
    const row = store.add({ callId: 'c1', number: '13800138000', reason: 'transfer-failed', now: 10_000 });
    expect(row).toEqual({
      id: 1,
      callId: 'c1',
      number: '13800138000',
      reason: 'transfer-failed',
      promisedBy: 10_000 + 30 * 60_000,
      status: 'pending',
      attempts: 0,
      createdAt: 10_000,
      // N8: the group that calls back (the flow's when null), due at once, never tried yet.
      group: null,
      nextAttemptAt: 10_000,
      lastAttemptAt: null,
      outcome: null,
      claimToken: null,
      // N18: no language given: the flow's.
      language: null,
      // N16: no ticket (a revisit's would be here).
      ticket: null,
    });
    expect(store.forCall('c1')).toEqual([row]);
    expect(store.forCall('c2')).toEqual([]);
  });

  it("N18: a request keeps the caller's language; a later request of the same number brings its own", () => {
    const store = createCallbackStore(db);
    const first = store.add({ callId: 'c1', number: '13800138000', reason: 'transfer-failed', now: 0, language: 'en' });
    expect(first.language).toBe('en');
    // A merge without a language keeps it; one with a language replaces it.
    expect(store.add({ callId: 'c2', number: '13800138000', reason: 'transfer-failed', now: 1000 }).language).toBe('en');
    expect(store.add({ callId: 'c3', number: '13800138000', reason: 'transfer-failed', now: 2000, language: 'zh-CN' })).toMatchObject({ id: first.id, language: 'zh-CN' });
  });

  it('lists the most urgent first, filtered by status', () => {
    const store = createCallbackStore(db);
    store.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: 0 });
    store.add({ callId: null, number: '13900139000', reason: 'dropped', now: 0 });
    db.prepare("UPDATE callbacks SET status = 'done' WHERE id = 1").run();
    store.add({ callId: 'c3', number: '01012345678', reason: 'unanswered-query', now: 0 });
    expect(store.list().map((c) => c.id)).toEqual([2, 3, 1]);
    expect(store.list({ status: 'pending' }).map((c) => c.id)).toEqual([2, 3]);
    expect(store.list({ status: 'done' }).map((c) => c.reason)).toEqual(['complaint']);
    expect(store.list({ limit: 1 }).map((c) => c.id)).toEqual([2]);
  });

  it("uses the flow's promise minutes, read at each request (a flow reload changes the next promise)", () => {
    let minutes = { ...DEFAULT_PROMISE_MINUTES, complaint: 60 };
    const store = createCallbackStore(db, { promiseMinutes: () => minutes });
    expect(store.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: 0 }).promisedBy).toBe(3_600_000);
    minutes = { ...DEFAULT_PROMISE_MINUTES, complaint: 90 };
    expect(store.add({ callId: 'c2', number: '13900139000', reason: 'complaint', now: 0 }).promisedBy).toBe(5_400_000);
  });
});
