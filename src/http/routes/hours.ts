// N15 for operators: the service hours now (state, next change, the weekly table, the override in
// force), the operator override (force open or closed, with a reason and an expiry; every
// override is kept and logged), and the holiday calendar: the flow file's days merged with
// imported ones, imported from an iCalendar file and exported as one.
import express, { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { HoursFlow, HoursService } from '../../calendar/hours-service.js';
import type { DayKind, HoursStore } from '../../calendar/hours-store.js';
import { CalendarFileError, CalendarTooLargeError, holidayCalendarText, parseHolidayCalendar } from '../../calendar/ical-calendar.js';
import { isCalendarDate, localDate } from '../../calendar/local-time.js';
import { WEEKDAY_KEYS } from '../../calendar/service-hours-config.js';
import { ApiError } from '../errors.js';
import { parseInput } from '../parse-input.js';

export interface HoursRoutesDeps {
  service: HoursService;
  store: HoursStore;
  /** The flow in force: its hours, time zone, calendar lists and name. */
  flow: () => HoursFlow & { hotline: { name: string } };
  now: () => number;
  /** Overrides and imports are operators' acts: each is logged. */
  logger: Pick<Logger, 'info'>;
}

/** An override longer than this is a holiday or a per-date exception in the flow file. */
export const MAX_OVERRIDE_MS = 31 * 86_400_000;
/** The largest iCalendar file an import takes. */
export const MAX_CALENDAR_BYTES = 1024 * 1024;

const Who = z.string().trim().min(1).max(64);

const OverrideBody = z
  .object({
    state: z.enum(['open', 'closed']),
    reason: z.string().trim().min(1).max(200),
    expiresAt: z.number().int().positive(),
    by: Who.optional(),
  })
  .strict();

const ByQuery = z.object({ by: Who.optional() }).strict();

const HistoryQuery = z
  .object({
    limit: z
      .string()
      .regex(/^\d{1,4}$/, 'expected a positive integer')
      .transform(Number)
      .pipe(z.number().int().min(1).max(1000))
      .default(100),
  })
  .strict();

const ImportQuery = z
  .object({
    source: z
      .string()
      .regex(/^[\w .:/@-]{1,64}$/, 'a source is up to 64 letters, digits, spaces and . : / @ _ -')
      .default('ical'),
  })
  .strict();

const DateParam = z.string().refine(isCalendarDate, 'a date is YYYY-MM-DD (a real date)');

/** A day of the merged calendar as the API shows it. */
interface CalendarEntry {
  date: string;
  kind: DayKind;
  name: string;
  /** 'flow' for the flow file's lists, else the import's source label. */
  source: string;
  importedAt: number | null;
}

function mergedDays(flow: HoursFlow, store: HoursStore): { days: CalendarEntry[]; overruled: CalendarEntry[] } {
  const fromFlow = new Map<string, CalendarEntry>();
  for (const date of flow.hotline.workdays) fromFlow.set(date, { date, kind: 'workday', name: '', source: 'flow', importedAt: null });
  // A date on both lists is a holiday (as the hours and the greeting take it).
  for (const date of flow.hotline.holidays) fromFlow.set(date, { date, kind: 'holiday', name: '', source: 'flow', importedAt: null });
  const days = [...fromFlow.values()];
  const overruled: CalendarEntry[] = [];
  for (const day of store.days()) {
    const entry = { date: day.date, kind: day.kind, name: day.name, source: day.source, importedAt: day.importedAt };
    (fromFlow.has(day.date) ? overruled : days).push(entry);
  }
  days.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { days, overruled };
}

function readCalendarText(): RequestHandler {
  const text = express.text({ type: () => true, limit: MAX_CALENDAR_BYTES, defaultCharset: 'utf-8' });
  return (req, res, next) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'text/calendar') {
      next(
        new ApiError(415, 'unsupported-media-type', `a calendar is posted as text/calendar${type ? `, not ${type}` : ' (no Content-Type was given)'}`, {
          accepted: 'text/calendar',
        }),
      );
      return;
    }
    text(req, res, (err?: unknown) => {
      const kind = typeof err === 'object' && err !== null && 'type' in err ? err.type : undefined;
      if (kind === 'entity.too.large') {
        next(new ApiError(413, 'calendar-too-large', `a calendar file is at most ${MAX_CALENDAR_BYTES} bytes`, { limit: MAX_CALENDAR_BYTES }));
      } else if (kind === 'charset.unsupported' || kind === 'encoding.unsupported') {
        next(new ApiError(415, 'unsupported-media-type', err instanceof Error ? err.message : 'unsupported charset'));
      } else {
        next(err);
      }
    });
  };
}

/** GET /hours, PUT/DELETE /hours/override, GET /hours/overrides, GET /holidays(.ics), POST /holidays/import, DELETE /holidays/:date. */
export function hoursRoutes(deps: HoursRoutesDeps): Router {
  const { service, store, logger } = deps;
  const router = Router();
  const json = express.json({ limit: '4kb' });

  const summary = (now: number) => {
    const flow = deps.flow();
    const { override, ...status } = service.status(now, flow);
    const callbacks = service.callbackStatus(now, flow);
    const hours = flow.hours;
    const allDay = Object.fromEntries(WEEKDAY_KEYS.map((day) => [day, ['00:00-24:00']]));
    return {
      now,
      timezone: flow.hotline.timezone,
      configured: hours !== undefined,
      ...status,
      nextChange: status.state === 'open' ? status.closesAt : status.opensAt,
      override,
      weekly: hours?.weekly ?? allDay,
      holidays: hours?.holidays ?? ['00:00-24:00'],
      workdays: hours?.workdays ?? 'mon',
      dates: hours?.dates ?? {},
      // N8: when the scheduler may dial (the same override counts).
      callbacks: {
        state: callbacks.state,
        reason: callbacks.reason,
        opensAt: callbacks.opensAt,
        closesAt: callbacks.closesAt,
        schedule: hours?.callbacks ?? 'service-hours',
      },
    };
  };

  router.get('/hours', (_req, res) => {
    res.json(summary(deps.now()));
  });

  router.put('/hours/override', json, (req, res) => {
    const body = parseInput(OverrideBody, req.body, 'invalid override');
    const now = deps.now();
    if (body.expiresAt <= now) {
      throw new ApiError(422, 'override-expiry-invalid', 'expiresAt is not in the future', { now });
    }
    if (body.expiresAt > now + MAX_OVERRIDE_MS) {
      throw new ApiError(
        422,
        'override-expiry-invalid',
        'an override lasts at most 31 days; a longer closure is a holiday or a per-date exception (hours.dates) in the flow file',
        { now, maxMs: MAX_OVERRIDE_MS },
      );
    }
    const by = body.by ?? 'api';
    const { override, replaced } = store.setOverride({ state: body.state, reason: body.reason, by, now, expiresAt: body.expiresAt });
    logger.info({ override: override.id, state: override.state, reason: override.reason, by, expiresAt: override.expiresAt, replaced: replaced?.id ?? null }, 'hours: override set');
    res.json({ override, replaced: replaced ?? null, hours: summary(now) });
  });

  router.delete('/hours/override', (req, res) => {
    const { by = 'api' } = parseInput(ByQuery, req.query);
    const now = deps.now();
    const cleared = store.clearOverride(now, by);
    if (!cleared) throw new ApiError(404, 'override-not-found', 'no override is in force');
    logger.info({ override: cleared.id, state: cleared.state, by }, 'hours: override cleared');
    res.json({ override: cleared, hours: summary(now) });
  });

  router.get('/hours/overrides', (req, res) => {
    const { limit } = parseInput(HistoryQuery, req.query);
    res.json({ overrides: store.overrides(limit) });
  });

  router.get('/holidays', (_req, res) => {
    const flow = deps.flow();
    res.json({ timezone: flow.hotline.timezone, ...mergedDays(flow, store) });
  });

  router.get('/holidays.ics', (_req, res) => {
    const flow = deps.flow();
    const text = holidayCalendarText(mergedDays(flow, store).days, {
      name: `${flow.hotline.name} holidays`,
      timezone: flow.hotline.timezone,
      now: deps.now(),
    });
    res.set('Content-Type', 'text/calendar; charset=utf-8');
    res.set('Content-Disposition', 'attachment; filename="holidays.ics"');
    res.send(text);
  });

  router.post('/holidays/import', readCalendarText(), (req, res) => {
    const { source } = parseInput(ImportQuery, req.query);
    const now = deps.now();
    const flow = deps.flow();
    // Recurring events are expanded over this year and the next two (in the hotline time zone).
    const { year } = localDate(now, flow.hotline.timezone);
    const window = { from: `${year}-01-01`, to: `${year + 2}-12-31` };
    const body: unknown = req.body;
    let parsed;
    try {
      parsed = parseHolidayCalendar(typeof body === 'string' ? body : '', { window });
    } catch (err) {
      if (err instanceof CalendarTooLargeError) throw new ApiError(422, 'calendar-too-large', err.message, err.details);
      if (err instanceof CalendarFileError) throw new ApiError(400, 'calendar-invalid', err.message, err.details);
      throw err;
    }
    if (parsed.days.length === 0) {
      throw new ApiError(422, 'calendar-empty', 'the calendar has no all-day event to import', { events: parsed.events, skipped: parsed.skipped });
    }
    const result = store.importDays(parsed.days, source, now);
    const count = (kind: DayKind) => parsed.days.filter((d) => d.kind === kind).length;
    logger.info({ source, ...result, events: parsed.events, skipped: parsed.skipped.length }, 'hours: holidays imported');
    res.json({
      source,
      window,
      events: parsed.events,
      holidays: count('holiday'),
      workdays: count('workday'),
      ...result,
      skipped: parsed.skipped,
    });
  });

  router.delete('/holidays/:date', (req, res) => {
    const date = parseInput(DateParam, req.params.date, 'invalid date');
    const flow = deps.flow();
    const inFlowFile = flow.hotline.holidays.includes(date) || flow.hotline.workdays.includes(date);
    const removed = store.removeDay(date, deps.now());
    if (!removed) {
      if (inFlowFile) {
        throw new ApiError(409, 'holiday-in-flow-file', `${date} is listed in the flow file (hotline.holidays or hotline.workdays); edit it there`);
      }
      throw new ApiError(404, 'holiday-not-found', `no imported day on ${date}`);
    }
    logger.info({ date, kind: removed.kind, source: removed.source }, 'hours: imported day removed');
    res.json({ removed, stillInFlowFile: inFlowFile });
  });

  return router;
}
