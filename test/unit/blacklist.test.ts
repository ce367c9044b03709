// N11 on the virtual clock: which entry a caller ID matches (exact numbers, patterns, withheld
// caller IDs), expiry and removal, the store's audit (append-only), the flood rule's sliding
// window, the screening at call start and the wrong-number verb.
import fc from 'fast-check';
import pino from 'pino';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { findMatch, isWithheld, type BlacklistKind, type CompiledEntry, type MatchableEntry } from '../../src/blacklist/blacklist-match.js';
import { BlacklistPolicy } from '../../src/blacklist/blacklist-policy.js';
import {
  BlacklistDuplicateError,
  BlacklistValueError,
  createBlacklistStore,
  FLOOD_RULE,
  type BlacklistStore,
} from '../../src/blacklist/blacklist-store.js';
import { refuseCall, screenCall, screenCaller } from '../../src/blacklist/screen-call.js';
import { parseNumberPattern } from '../../src/callbacks/number-pattern.js';
import { wrongNumber } from '../../src/flow/verbs/wrong-number.js';
import { createCallerHistory, type CallerHistory } from '../../src/store/caller-history.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { advance, FakeCall, fakeClock, flowFromYaml, makeContext, newTestClock, stepOf, track } from './support/fake-call.js';

// Counts how often patterns are compiled: the store compiles each entry's pattern once.
vi.mock('../../src/callbacks/number-pattern.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/callbacks/number-pattern.js')>();
  return { ...original, parseNumberPattern: vi.fn(original.parseNumberPattern) };
});

const T0 = new Date('2026-03-10T10:00:00+08:00').getTime();
const MIN = 60_000;
const HEAD = 'hotline: { name: Test line, number: "100" }\n';
const STEPS = 'steps:\n  answer: { verb: answer, next: end }\n  end: { verb: hangup }\n';
const flowWith = (blacklist = '') => flowFromYaml(`${HEAD}${blacklist}${STEPS}`);

let db: Database;
let store: BlacklistStore;
let history: CallerHistory;

beforeEach(() => {
  newTestClock(T0);
  db = openDatabase(':memory:');
  store = createBlacklistStore(db);
  history = createCallerHistory(db);
});

const add = (kind: BlacklistKind, value: string, extra: { expiresAt?: number | null; now?: number } = {}) =>
  store.add({ kind, value, reason: `test ${kind}`, addedBy: 'ops', now: extra.now ?? fakeClock.now(), expiresAt: extra.expiresAt ?? null });

// ---- which caller IDs are withheld ----

describe('withheld caller IDs (N11)', () => {
  it.each(['', '   ', 'anonymous', 'Anonymous', 'UNKNOWN', 'private', 'Restricted', 'withheld', 'unavailable', '0', '12', 'sip:1001@pbx', '138-0013-8000', '+', '++8613800138000', '1'.repeat(21)])(
    '%j is withheld',
    (id) => expect(isWithheld(id)).toBe(true),
  );

  it.each(['100', '1001', '13800138000', '+8613800138000', ' 13800138000 ', '1'.repeat(20)])('%j names a line', (id) => {
    expect(isWithheld(id)).toBe(false);
  });

  it('property: 3 to 20 digits (with or without "+") name a line; any other character makes the ID withheld', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+?[0-9]{3,20}$/), (id) => !isWithheld(id)),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), fc.string({ minLength: 1, maxLength: 3 }).filter((s) => /[^0-9+\s]/.test(s)), (a, junk) =>
        isWithheld(`${a}${junk}`),
      ),
    );
  });
});

// ---- the pure matcher ----

let nextId = 1;
function entry(kind: BlacklistKind, value: string, extra: Partial<MatchableEntry> = {}): CompiledEntry {
  return {
    id: nextId++,
    kind,
    value: kind === 'anonymous' ? '' : value,
    expiresAt: null,
    removedAt: null,
    ...extra,
    pattern: kind === 'pattern' ? parseNumberPattern(value) : null,
  };
}

describe('matching (N11)', () => {
  it('an exact entry matches only its own number; a pattern its numbers; an anonymous entry only withheld IDs', () => {
    const exact = entry('exact', '13800138000');
    const pattern = entry('pattern', '_1[3-9]9XXXXXXXX');
    const anonymous = entry('anonymous', '');
    const all = [exact, pattern, anonymous];
    expect(findMatch(all, '13800138000', T0)).toBe(exact);
    expect(findMatch(all, '13812345678', T0)).toBeUndefined();
    expect(findMatch(all, '13912345678', T0)).toBe(pattern);
    expect(findMatch(all, '', T0)).toBe(anonymous);
    expect(findMatch(all, 'anonymous', T0)).toBe(anonymous);
    expect(findMatch([exact, pattern], 'anonymous', T0)).toBeUndefined();
    // "+" is never a digit of a pattern: the international form of a listed mobile is not caught.
    expect(findMatch([pattern], '+8613912345678', T0)).toBeUndefined();
    // A pattern that takes any number still never takes a withheld ID.
    expect(findMatch([entry('pattern', '_X!')], '', T0)).toBeUndefined();
  });

  it('expiry: an entry matches until the instant it expires, not at or after it; a removed entry never matches', () => {
    const e = entry('exact', '13800138000', { expiresAt: T0 + 60 * MIN });
    expect(findMatch([e], '13800138000', T0 + 60 * MIN - 1)).toBe(e);
    expect(findMatch([e], '13800138000', T0 + 60 * MIN)).toBeUndefined();
    expect(findMatch([entry('exact', '13800138000', { removedAt: T0 })], '13800138000', T0 - 1)).toBeUndefined();
  });

  it('several matches: the exact number wins over a pattern, then the oldest entry', () => {
    const p1 = entry('pattern', '_138.');
    const p2 = entry('pattern', '_13800138000');
    const exact = entry('exact', '13800138000');
    expect(findMatch([p2, exact, p1], '13800138000', T0)).toBe(exact);
    expect(findMatch([p2, p1], '13800138000', T0)).toBe(p1);
  });

  const arbEntry = fc.record({
    kind: fc.constantFrom<BlacklistKind>('exact', 'pattern', 'anonymous'),
    number: fc.constantFrom('13800138000', '13912345678', '100', '+8613800138000'),
    pattern: fc.constantFrom('_138XXXXXXXX', '_1[3-9]9.', '_X!', '_100', '_NXX'),
    expires: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
    removed: fc.boolean(),
  });
  const arbCaller = fc.constantFrom('13800138000', '13912345678', '100', '200', '+8613800138000', '', 'anonymous', 'Private');

  it('property: the match is the most specific, oldest entry in force that takes the caller ID, whatever the order', () => {
    fc.assert(
      fc.property(fc.array(arbEntry, { maxLength: 8 }), arbCaller, fc.integer({ min: -5, max: 5 }), fc.integer(), (specs, caller, at, seed) => {
        const entries = specs.map((s, i) => ({
          ...entry(s.kind, s.kind === 'pattern' ? s.pattern : s.number, {
            expiresAt: s.expires === null ? null : T0 + s.expires,
            removedAt: s.removed ? T0 - 100 : null,
          }),
          id: i + 1,
        }));
        const now = T0 + at;
        const takes = (e: CompiledEntry) => {
          if (e.removedAt !== null || (e.expiresAt !== null && e.expiresAt <= now)) return false;
          if (e.kind === 'anonymous') return isWithheld(caller);
          if (isWithheld(caller)) return false;
          return e.kind === 'exact' ? e.value === caller : /^[0-9]+$/.test(caller) && new RegExp(`^${toRegExp(e.value)}$`).test(caller);
        };
        const rank = { exact: 0, pattern: 1, anonymous: 2 };
        const want = entries.filter(takes).sort((a, b) => rank[a.kind] - rank[b.kind] || a.id - b.id)[0];
        const shuffled = [...entries].sort((a, b) => ((a.id * 7919 + seed) % 13) - ((b.id * 7919 + seed) % 13));
        expect(findMatch(entries, caller, now)?.id).toBe(want?.id);
        expect(findMatch(shuffled, caller, now)?.id).toBe(want?.id);
      }),
      { numRuns: 500 },
    );
  });
});

/** The few patterns the property uses, as a reference regular expression (test only). */
function toRegExp(pattern: string): string {
  return pattern
    .slice(1)
    .replace(/X/g, '[0-9]')
    .replace(/N/g, '[2-9]')
    .replace(/\.$/, '[0-9]+')
    .replace(/!$/, '[0-9]*');
}

// ---- the store ----

describe('the blacklist store (N11)', () => {
  it('adds entries with reason, adder and expiry; lists those in force, newest first; ?all includes removed and expired', () => {
    const a = add('exact', '13800138000');
    const b = add('pattern', '_0755XXXXXXXX', { expiresAt: T0 + 10 * MIN });
    const c = add('anonymous', 'ignored');
    expect(a).toEqual({
      id: 1, kind: 'exact', value: '13800138000', reason: 'test exact', addedBy: 'ops', createdAt: T0, expiresAt: null,
      removedAt: null, removedBy: null, removedReason: null,
    });
    expect(c.value).toBe('');
    expect(store.list({ now: T0 }).map((e) => e.id)).toEqual([c.id, b.id, a.id]);
    store.remove(a.id, { by: 'lead', reason: 'resolved', now: T0 + MIN });
    expect(store.list({ now: T0 + 10 * MIN }).map((e) => e.id)).toEqual([c.id]);
    expect(store.list({ now: T0 + 10 * MIN, all: true }).map((e) => e.id)).toEqual([c.id, b.id, a.id]);
    expect(store.get(a.id)).toMatchObject({ removedAt: T0 + MIN, removedBy: 'lead', removedReason: 'resolved' });
  });

  it('refuses a malformed number or pattern (the parser says why) and a duplicate in force; an expired or removed one can be listed again', () => {
    expect(() => add('exact', '138-0013')).toThrow(BlacklistValueError);
    expect(() => add('pattern', '1[3-9]XXXXXXXXX')).toThrow(/patterns start with "_"/);
    expect(() => add('pattern', '_1(3|5)X')).toThrow(/not part of the pattern language/);
    const first = add('exact', '13800138000', { expiresAt: T0 + MIN });
    let dup: unknown;
    try {
      add('exact', '13800138000');
    } catch (e) {
      dup = e;
    }
    expect(dup).toBeInstanceOf(BlacklistDuplicateError);
    expect((dup as BlacklistDuplicateError).existing.id).toBe(first.id);
    // Once expired, the number can be listed again.
    expect(add('exact', '13800138000', { now: T0 + MIN }).id).toBe(first.id + 1);
    add('anonymous', '');
    expect(() => add('anonymous', '')).toThrow(BlacklistDuplicateError);
    // A pattern text equal to a listed number is another entry (another kind).
    expect(add('pattern', '13800138000').kind).toBe('pattern');
  });

  it('removal: the entry is kept and marked; a second removal and an unknown id are told apart; the audit has every step', () => {
    const e = add('exact', '13800138000', { expiresAt: T0 + 60 * MIN });
    expect(store.remove(e.id, { by: 'lead', reason: 'wrong number listed', now: T0 + MIN })).toMatchObject({ ok: true, entry: { id: e.id, removedAt: T0 + MIN } });
    expect(store.remove(e.id, { by: 'lead', reason: 'again', now: T0 + 2 * MIN })).toMatchObject({ ok: false, why: 'already-removed', entry: { removedReason: 'wrong number listed' } });
    expect(store.remove(999, { by: 'lead', reason: 'x', now: T0 })).toEqual({ ok: false, why: 'not-found' });
    expect(store.audit()).toEqual([
      { id: 2, entryId: e.id, action: 'remove', at: T0 + MIN, by: 'lead', reason: 'wrong number listed', kind: 'exact', value: '13800138000', expiresAt: T0 + 60 * MIN },
      { id: 1, entryId: e.id, action: 'add', at: T0, by: 'ops', reason: 'test exact', kind: 'exact', value: '13800138000', expiresAt: T0 + 60 * MIN },
    ]);
    expect(store.audit({ entryId: 999 })).toEqual([]);
  });

  it('the audit is append-only and entries are never deleted nor changed but by one removal (triggers)', () => {
    const e = add('exact', '13800138000');
    expect(() => db.prepare('UPDATE blacklist_audit SET by = ?').run('x')).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM blacklist_audit').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM blacklist').run()).toThrow(/kept/);
    expect(() => db.prepare('UPDATE blacklist SET value = ? WHERE id = ?').run('13900139000', e.id)).toThrow(/only by its removal/);
    expect(() => db.prepare('UPDATE blacklist SET expires_at = 1 WHERE id = ?').run(e.id)).toThrow(/only by its removal/);
    store.remove(e.id, { by: 'lead', reason: 'done', now: T0 });
    expect(() => db.prepare('UPDATE blacklist SET removed_at = NULL WHERE id = ?').run(e.id)).toThrow(/only by its removal/);
    expect(() => db.prepare("INSERT INTO blacklist (kind, value, reason, added_by, created_at) VALUES ('anonymous', '1', 'r', 'b', 0)").run()).toThrow(/CHECK/);
  });

  it('property: store.match agrees with the pure matcher over every row, after any adds and removals', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('add' as const), kind: fc.constantFrom<BlacklistKind>('exact', 'pattern', 'anonymous'), value: fc.constantFrom('13800138000', '13912345678', '100'), pattern: fc.constantFrom('_138.', '_1[3-9]9XXXXXXXX', '_X!', '_1XX'), ttl: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }) }),
      fc.record({ op: fc.constant('remove' as const), id: fc.integer({ min: 1, max: 12 }) }),
      fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 20 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), fc.constantFrom('13800138000', '13912345678', '100', '101', '', 'anonymous', '+8613800138000'), (ops, caller) => {
        const local = createBlacklistStore(openDatabase(':memory:'));
        let now = T0;
        for (const o of ops) {
          if (o.op === 'wait') now += o.ms;
          else if (o.op === 'remove') local.remove(o.id, { by: 'x', reason: 'y', now });
          else {
            try {
              local.add({ kind: o.kind, value: o.kind === 'pattern' ? o.pattern : o.value, reason: 'r', addedBy: 'b', now, expiresAt: o.ttl === null ? null : now + o.ttl });
            } catch (e) {
              if (!(e instanceof BlacklistDuplicateError)) throw e;
            }
          }
        }
        const rows = local.list({ now, all: true, limit: 100 });
        const compiled = rows.map((r) => ({ ...r, pattern: r.kind === 'pattern' ? parseNumberPattern(r.value) : null }));
        expect(local.match(caller, now)?.id).toBe(findMatch(compiled, caller, now)?.id);
      }),
      { numRuns: 300 },
    );
  });

  it('a pattern is compiled once per entry, not per call', () => {
    add('pattern', '_1[3-9]9XXXXXXXX');
    add('pattern', '_0755XXXXXXXX');
    const parse = vi.mocked(parseNumberPattern);
    parse.mockClear();
    for (let i = 0; i < 50; i++) store.match(`1391234${String(i).padStart(4, '0')}`, T0 + i);
    expect(store.match('13912345678', T0)?.value).toBe('_1[3-9]9XXXXXXXX');
    expect(parse).toHaveBeenCalledTimes(2);
  });
});

// ---- the flood rule ----

const FLOOD = BlacklistPolicy.parse({ flood: { calls: 3, withinMinutes: 10, blockMinutes: 60 } });
let callSeq = 0;

/** A call from `caller` starts now: noted (as the call handler does), then screened. */
function callFrom(caller: string, policy = FLOOD, adopted = false) {
  const now = fakeClock.now();
  history.noteCall({ id: `c${++callSeq}`, caller, startedAt: now });
  return screenCaller(store, policy, caller, now, { adopted });
}

describe('the flood rule (N11)', () => {
  it('more than 3 calls within 10 minutes: the 4th is refused and the number blocked for an hour (flood-rule entry, audited)', async () => {
    for (let i = 0; i < 3; i++) {
      expect(callFrom('13800138000')).toBeUndefined();
      await advance(2 * MIN);
    }
    const verdict = callFrom('13800138000');
    const at = T0 + 6 * MIN;
    expect(verdict?.autoAdded).toEqual({ entry: 1, calls: 4, limit: 3, withinMinutes: 10, blockMinutes: 60, expiresAt: at + 60 * MIN });
    expect(verdict?.refusal).toEqual({
      entry: 1, kind: 'exact', value: '13800138000', reason: 'flood: 4 calls within 10 min (limit 3)', source: 'list', prompt: 'blacklisted',
    });
    expect(store.get(1)).toMatchObject({ addedBy: FLOOD_RULE, createdAt: at, expiresAt: at + 60 * MIN });
    expect(store.audit()).toEqual([expect.objectContaining({ action: 'auto-add', by: FLOOD_RULE, entryId: 1 })]);
    // Blocked: refused by the entry, not listed again.
    await advance(30 * MIN);
    expect(callFrom('13800138000')).toEqual({ refusal: expect.objectContaining({ entry: 1 }) as unknown });
    // Other numbers are not affected.
    expect(callFrom('13900139000')).toBeUndefined();
    // The block ends after an hour; calls from within the last 10 minutes count again.
    await advance(31 * MIN);
    expect(callFrom('13800138000')).toBeUndefined();
    expect(store.audit()).toHaveLength(1);
  });

  it('the window slides: calls 4 minutes apart never put 4 calls into 10 minutes', async () => {
    for (let i = 0; i < 20; i++) {
      expect(callFrom('13800138000')).toBeUndefined();
      await advance(4 * MIN);
    }
    expect(store.list({ now: fakeClock.now(), all: true })).toEqual([]);
  });

  it('withheld caller IDs are not counted (one shared ID is not one caller); adopted calls are not counted again; no flood section, no rule', () => {
    for (let i = 0; i < 10; i++) expect(callFrom('anonymous')).toBeUndefined();
    for (let i = 0; i < 10; i++) expect(callFrom('13800138000', FLOOD, true)).toBeUndefined();
    for (let i = 0; i < 10; i++) expect(callFrom('13900139000', BlacklistPolicy.parse({}))).toBeUndefined();
    expect(store.list({ now: fakeClock.now(), all: true })).toEqual([]);
  });

  it('two controllers blocking the same number at once list it once', () => {
    const other = createBlacklistStore(db);
    const first = store.block('13800138000', { now: T0, until: T0 + 60 * MIN, reason: 'flood' });
    const second = other.block('13800138000', { now: T0, until: T0 + 60 * MIN, reason: 'flood' });
    expect(first.added).toBe(true);
    expect(second).toEqual({ entry: first.entry, added: false });
    expect(store.audit()).toHaveLength(1);
  });

  it('property: each call is refused exactly when the number is blocked, or when it makes more than `calls` within the window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 0, max: 6 * MIN }), { minLength: 1, maxLength: 25 }),
        (limit, withinMinutes, blockMinutes, gaps) => {
          db = openDatabase(':memory:');
          store = createBlacklistStore(db);
          history = createCallerHistory(db);
          const policy = BlacklistPolicy.parse({ flood: { calls: limit, withinMinutes, blockMinutes } });
          const starts: number[] = [];
          let blockedUntil = -Infinity;
          let now = T0;
          for (const gap of gaps) {
            now += gap;
            fakeClock.setTime(now);
            starts.push(now);
            const inWindow = starts.filter((s) => s > now - withinMinutes * MIN).length;
            const blocked = now < blockedUntil;
            const flood = !blocked && inWindow > limit;
            if (flood) blockedUntil = now + blockMinutes * MIN;
            const verdict = callFrom('13800138000', policy);
            expect(verdict !== undefined).toBe(blocked || flood);
            expect(verdict?.autoAdded !== undefined).toBe(flood);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ---- screening a call ----

describe('screening at call start (N11)', () => {
  it('a listed caller: blacklist.matched with the entry, answered at once (call.answered), the refusal prompt; nothing rings', async () => {
    const e = add('exact', '13800138000');
    const flow = flowWith();
    const call = new FakeCall({ caller: '13800138000' });
    const ctx = makeContext(flow, call);
    await advance(300);
    const refusal = screenCall(ctx, store, { adopted: false });
    expect(refusal).toEqual({ entry: e.id, kind: 'exact', value: '13800138000', reason: 'test exact', source: 'list', prompt: 'blacklisted' });
    const box = track(refuseCall(ctx, refusal!));
    await advance(2000);
    expect(box).toEqual({ settled: true, value: undefined });
    expect(ctx.types()).toEqual(['blacklist.matched', 'call.answered']);
    expect(ctx.dataOf('call.answered')).toEqual([{ delayMs: 300, targetMs: 5000, rings: 1, withinBudget: true }]);
    expect(call.kinds()).toEqual(['answer', 'play']);
    expect(call.plays().map((p) => p.prompts)).toEqual([['blacklisted']]);
  });

  it('anonymous: refuse refuses a withheld caller ID without an entry; allow (the default) lets it through; an anonymous entry refuses it anyway', () => {
    const refuse = flowWith('blacklist: { anonymous: refuse, prompt: wrong-number }\n');
    const screened = (flow = flowWith(), caller = 'anonymous') => {
      const ctx = makeContext(flow, new FakeCall({ caller }));
      return { refusal: screenCall(ctx, store, { adopted: false }), types: ctx.types() };
    };
    expect(screened(refuse)).toEqual({
      refusal: { entry: null, kind: 'anonymous', value: '', reason: 'the flow refuses withheld caller IDs', source: 'flow', prompt: 'wrong-number' },
      types: ['blacklist.matched'],
    });
    expect(screened(refuse, '13800138000')).toEqual({ refusal: undefined, types: [] });
    expect(screened()).toEqual({ refusal: undefined, types: [] });
    const e = add('anonymous', '');
    expect(screened(flowWith(), '').refusal).toMatchObject({ entry: e.id, kind: 'anonymous', source: 'list' });
  });

  it('a flood: blacklist.auto-added, then blacklist.matched with the new entry', () => {
    const flow = flowWith('blacklist: { flood: { calls: 1, withinMinutes: 5, blockMinutes: 15 } }\n');
    history.noteCall({ id: 'earlier', caller: '13800138000', startedAt: T0 - MIN });
    history.noteCall({ id: 'call-1', caller: '13800138000', startedAt: T0 });
    const ctx = makeContext(flow, new FakeCall({ caller: '13800138000' }));
    expect(screenCall(ctx, store, { adopted: false })).toMatchObject({ entry: 1, source: 'list' });
    expect(ctx.types()).toEqual(['blacklist.auto-added', 'blacklist.matched']);
    expect(ctx.dataOf('blacklist.auto-added')).toEqual([{ entry: 1, calls: 2, limit: 1, withinMinutes: 5, blockMinutes: 15, expiresAt: T0 + 15 * MIN }]);
  });

  it('an adopted (answered) call is not answered again; a caller who hangs up during the refusal ends it', async () => {
    add('exact', '13800138000');
    const call = new FakeCall({ caller: '13800138000', answered: true });
    const ctx = makeContext(flowWith(), call);
    const refusal = screenCall(ctx, store, { adopted: true });
    const box = track(refuseCall(ctx, refusal!));
    await advance(500);
    call.callerHangsUp();
    await advance(0);
    expect(box.settled && box.error).toBeInstanceOf(Error);
    expect(call.kinds()).toEqual(['play']);
    expect(ctx.types()).toEqual(['blacklist.matched']);
  });

  it('fails open: a store that throws lets the caller through, and says so in the log', () => {
    const broken: BlacklistStore = {
      ...store,
      match: () => {
        throw new Error('database is locked');
      },
    };
    const errors: unknown[] = [];
    const ctx = makeContext(flowWith(), new FakeCall());
    ctx.logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line)) });
    expect(screenCall(ctx, broken, { adopted: false })).toBeUndefined();
    expect(ctx.types()).toEqual([]);
    expect(errors).toEqual([expect.objectContaining({ msg: 'blacklist: screening failed; the call is served unscreened' })]);
  });

  it('expiry on the clock: refused while the entry is in force, served from the instant it expires', async () => {
    add('exact', '13800138000', { expiresAt: T0 + 10 * MIN });
    const screen = () => screenCall(makeContext(flowWith(), new FakeCall({ caller: '13800138000' })), store, { adopted: false });
    expect(screen()).toBeDefined();
    await advance(10 * MIN - 1);
    expect(screen()).toBeDefined();
    await advance(1);
    expect(screen()).toBeUndefined();
  });
});

describe('the blacklist section of the flow file (N11)', () => {
  it('defaults: anonymous callers allowed, the blacklisted prompt, no flood rule', () => {
    expect(flowWith().blacklist).toEqual({ anonymous: 'allow', prompt: 'blacklisted' });
  });

  it.each([
    ['blacklist: { anonymous: block }\n', 'anonymous'],
    ['blacklist: { flood: { calls: 0, withinMinutes: 5, blockMinutes: 5 } }\n', 'calls'],
    ['blacklist: { flood: { calls: 3, withinMinutes: 5 } }\n', 'blockMinutes'],
    ['blacklist: { flood: { calls: 3, withinMinutes: 5, blockMinutes: 5, every: 1 } }\n', 'every'],
    ['blacklist: { numbers: ["13800138000"] }\n', 'numbers'],
  ])('%s is refused at load', (section, key) => {
    expect(() => flowWith(section)).toThrow(key);
  });
});

// ---- the wrong-number verb ----

describe('wrong-number (N11)', () => {
  const FLOW = flowFromYaml(`${HEAD}steps:
  answer: { verb: answer, next: wrong }
  wrong: { verb: wrong-number, next: again }
  again: { verb: wrong-number }
`);

  it('plays 这里是<热线名称>,请您查证后再拨。 (prompt wrong-number, not stopped by a key), logs it, goes to next', async () => {
    const call = new FakeCall({ answered: true });
    const ctx = makeContext(FLOW, call);
    const box = track(wrongNumber.run(ctx, stepOf(FLOW, 'wrong', 'wrong-number'), 'wrong'));
    await advance(500);
    call.press('1');
    await advance(1500);
    expect(box).toEqual({ settled: true, value: 'again' });
    expect(call.plays()).toEqual([expect.objectContaining({ prompts: ['wrong-number'], bargeIn: false, interrupted: false })]);
    expect(ctx.dataOf('wrong-number.played')).toEqual([{ step: 'wrong', prompts: ['wrong-number'] }]);
  });

  it('without next the flow ends there (the system hangs up)', async () => {
    const ctx = makeContext(FLOW, new FakeCall({ answered: true }));
    const box = track(wrongNumber.run(ctx, stepOf(FLOW, 'again', 'wrong-number'), 'again'));
    await advance(2000);
    expect(box).toEqual({ settled: true, value: undefined });
    expect(wrongNumber.graph(stepOf(FLOW, 'again', 'wrong-number'), FLOW)).toMatchObject({ heard: true, plays: true, idle: null });
  });
});
