// N13: ticket numbers are YYMMDD in the hotline's time zone plus a daily sequence.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.js';
import { createTicketStore, TicketNumbersExhausted } from '../../src/tickets/ticket-store.js';

let db: Database;
let clock: number;
const now = () => clock;

beforeEach(() => {
  db = openDatabase(':memory:');
  // 2026-05-01 23:30 in Shanghai, still 2026-05-01 15:30 UTC
  clock = Date.UTC(2026, 4, 1, 15, 30);
});
afterEach(() => {
  db.close();
});

const NEW = { callId: 'c1', caller: '13800138000', group: 'repair' };

describe('ticket store', () => {
  it('numbers tickets YYMMDD + a 4-digit sequence and stores them open', () => {
    const store = createTicketStore(db, now);
    const first = store.create(NEW);
    expect(first).toEqual({ number: '2605010001', callId: 'c1', caller: '13800138000', group: 'repair', status: 'open', createdAt: clock });
    expect(store.create({ callId: null, caller: null, group: null }).number).toBe('2605010002');
    expect(store.find('2605010001')).toEqual(first);
    expect(store.find('2605010009')).toBeUndefined();
  });

  it('starts a new sequence on the next local day, which comes before UTC midnight in Shanghai', () => {
    const store = createTicketStore(db, now);
    store.create(NEW);
    clock = Date.UTC(2026, 4, 1, 16, 0); // 2026-05-02 00:00 in Shanghai
    expect(store.create(NEW).number).toBe('2605020001');
    clock = Date.UTC(2026, 4, 1, 15, 59);
    expect(store.create(NEW).number).toBe('2605010002');
  });

  it('uses the configured time zone', () => {
    const store = createTicketStore(db, now, { timeZone: 'UTC' });
    clock = Date.UTC(2026, 4, 1, 16, 0);
    expect(store.create(NEW).number).toBe('2605010001');
  });

  it('refuses a 10 000th ticket in one day', () => {
    const store = createTicketStore(db, now);
    db.prepare("INSERT INTO tickets (number, created_at) VALUES ('2605019999', 0)").run();
    expect(() => store.create(NEW)).toThrow(TicketNumbersExhausted);
  });

  it('N13 N14: keeps every status with its time, append-only; an unknown number changes nothing', () => {
    const store = createTicketStore(db, now);
    const { number } = store.create(NEW);
    const created = clock;
    clock += 60_000;
    store.setStatus(number, 'in-progress');
    clock += 60_000;
    store.setStatus(number, 'resolved');
    store.setStatus('2605019999', 'closed');
    expect(store.history(number)).toEqual([
      { status: 'open', at: created },
      { status: 'in-progress', at: created + 60_000 },
      { status: 'resolved', at: created + 120_000 },
    ]);
    expect(store.history('2605019999')).toEqual([]);
    expect(() => db.prepare('DELETE FROM ticket_history').run()).toThrow(/append-only/);
    expect(() => db.prepare("UPDATE ticket_history SET status = 'open'").run()).toThrow(/append-only/);
  });

  it('follows a time zone that changes (a reloaded flow)', () => {
    let zone = 'Asia/Shanghai';
    const store = createTicketStore(db, now, { timeZone: () => zone });
    expect(store.create(NEW).number).toBe('2605010001'); // 23:30 in Shanghai
    zone = 'UTC';
    expect(store.create(NEW).number).toBe('2605010002'); // 15:30 UTC, the same day
    clock = Date.UTC(2026, 4, 1, 16, 30);
    expect(store.create(NEW).number).toBe('2605010003'); // still May 1st in UTC, May 2nd in Shanghai
  });

  it('sets the status; undefined for an unknown number', () => {
    const store = createTicketStore(db, now);
    const { number } = store.create(NEW);
    expect(store.setStatus(number, 'resolved')?.status).toBe('resolved');
    expect(store.find(number)?.status).toBe('resolved');
    expect(store.setStatus('0000000000', 'closed')).toBeUndefined();
  });
});
