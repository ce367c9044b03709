// N13: service tickets. The number is what a caller writes down and keys back later, so it is
// all digits and short: YYMMDD (hotline time zone) and a 4-digit sequence within the day.
import type { Database } from '../store/database.js';
import { localDate } from '../calendar/local-time.js';

export const TICKET_STATUSES = ['open', 'in-progress', 'resolved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const TICKET_NUMBER = /^[0-9]{10}$/;

export interface TicketRow {
  number: string;
  callId: string | null;
  caller: string | null;
  group: string | null;
  status: TicketStatus;
  createdAt: number;
}

export interface NewTicket {
  callId: string | null;
  caller: string | null;
  group: string | null;
}

export interface TicketStore {
  create(ticket: NewTicket): TicketRow;
  find(number: string): TicketRow | undefined;
  /** The updated ticket, or undefined when there is no such number. */
  setStatus(number: string, status: TicketStatus): TicketRow | undefined;
  /** The caller's newest ticket that is still open or in progress (for the agent whisper). */
  openFor(caller: string): TicketRow | undefined;
  /** The newest ticket the call created (a call adopted after a crash must not create another). */
  newestOfCall(callId: string): TicketRow | undefined;
  /** Every status the ticket had, oldest first (empty for an unknown number). */
  history(number: string): TicketChange[];
}

export interface TicketChange {
  status: TicketStatus;
  at: number;
}

/** Still being worked on: what an agent should hear about. */
export const isOpen = (ticket: TicketRow): boolean => ticket.status === 'open' || ticket.status === 'in-progress';

export interface TicketStoreOptions {
  /**
   * The day in a ticket number is the hotline's day: its time zone, or a function giving the
   * one in force (a reloaded flow may change it). Default Asia/Shanghai, as in the flow file.
   */
  timeZone?: string | (() => string);
}

export class TicketNumbersExhausted extends Error {
  override readonly name = 'TicketNumbersExhausted';
}

const DAILY_MAX = 9999;
const COLUMNS = 'number, call_id AS callId, caller, grp AS "group", status, created_at AS createdAt';
const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function createTicketStore(db: Database, now: () => number, options: TicketStoreOptions = {}): TicketStore {
  const zone = options.timeZone ?? 'Asia/Shanghai';
  const timeZone = typeof zone === 'function' ? zone : () => zone;
  // A range on the primary key, so finding the day's last number is an index seek.
  const lastOfDay = db.prepare('SELECT MAX(number) FROM tickets WHERE number BETWEEN ? AND ?').pluck();
  const insert = db.prepare(
    `INSERT INTO tickets (number, call_id, caller, grp, created_at) VALUES (?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
  );
  const byNumber = db.prepare(`SELECT ${COLUMNS} FROM tickets WHERE number = ?`);
  const update = db.prepare(`UPDATE tickets SET status = ? WHERE number = ? RETURNING ${COLUMNS}`);
  const logChange = db.prepare('INSERT INTO ticket_history (number, status, at) VALUES (?, ?, ?)');
  const changes = db.prepare('SELECT status, at FROM ticket_history WHERE number = ? ORDER BY id');
  const newestOpen = db.prepare(
    `SELECT ${COLUMNS} FROM tickets WHERE caller = ? AND status IN ('open', 'in-progress')
     ORDER BY created_at DESC, number DESC LIMIT 1`,
  );

  // No index on call_id: read only when an adopted call resumes at a create-ticket step, while
  // an index would cost every ticket's insert.
  const newestOfCall = db.prepare(`SELECT ${COLUMNS} FROM tickets WHERE call_id = ? ORDER BY created_at DESC, number DESC LIMIT 1`);

  // IMMEDIATE takes the write lock before reading the last number: another connection cannot
  // hand out the same one in between.
  const create = db.transaction(({ callId, caller, group }: NewTicket): TicketRow => {
    const at = now();
    const { year, month, day } = localDate(at, timeZone());
    const prefix = `${pad(year % 100, 2)}${pad(month, 2)}${pad(day, 2)}`;
    const last = lastOfDay.get(`${prefix}0000`, `${prefix}9999`) as string | null;
    const sequence = last === null ? 1 : Number(last.slice(6)) + 1;
    if (sequence > DAILY_MAX) {
      throw new TicketNumbersExhausted(`all ${DAILY_MAX} ticket numbers of ${prefix} are taken`);
    }
    const row = insert.get(`${prefix}${pad(sequence, 4)}`, callId, caller, group, at) as TicketRow;
    logChange.run(row.number, row.status, at);
    return row;
  });
  // The status and its history change together or not at all.
  const changeStatus = db.transaction((number: string, status: TicketStatus): TicketRow | undefined => {
    const row = update.get(status, number) as TicketRow | undefined;
    if (row) logChange.run(number, status, now());
    return row;
  });

  return {
    create: (ticket) => create.immediate(ticket),

    find(number: string): TicketRow | undefined {
      return byNumber.get(number) as TicketRow | undefined;
    },

    setStatus: (number, status) => changeStatus.immediate(number, status),

    history(number: string): TicketChange[] {
      return changes.all(number) as TicketChange[];
    },

    openFor(caller: string): TicketRow | undefined {
      return newestOpen.get(caller) as TicketRow | undefined;
    },

    newestOfCall(callId: string): TicketRow | undefined {
      return newestOfCall.get(callId) as TicketRow | undefined;
    },
  };
}
