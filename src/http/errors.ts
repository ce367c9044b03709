// Errors at the HTTP edge carry a stable code: clients branch on `error`, never on `message`.

export type ApiErrorCode =
  | 'unauthorized'
  | 'invalid-request'
  | 'call-not-found'
  | 'agent-not-found'
  | 'agent-busy'
  | 'agent-logged-out'
  | 'ticket-not-found'
  | 'callback-not-found'
  | 'callback-number-not-allowed'
  | 'due-after-deadline'
  | 'group-not-found'
  // N11: the blacklist API.
  | 'blacklist-entry-not-found'
  | 'blacklist-entry-removed'
  | 'blacklist-duplicate'
  | 'blacklist-number-invalid'
  | 'blacklist-pattern-invalid'
  | 'blacklist-expiry-past'
  // The flow API: a posted flow the loader refuses (422, details.issues with file:line), a
  // body that is not YAML text (415) or is over the loader's size limit (413).
  | 'flow-invalid'
  | 'flow-version-not-found'
  | 'unsupported-media-type'
  | 'flow-too-large'
  // N15: service hours and the holiday calendar (an iCalendar body that is not text/calendar
  // is 415 unsupported-media-type).
  | 'override-not-found'
  | 'override-expiry-invalid'
  | 'calendar-invalid'
  | 'calendar-empty'
  | 'calendar-too-large'
  | 'holiday-not-found'
  | 'holiday-in-flow-file'
  // N14: call recordings (410 once deleted by retention or an operator; 409 while recording).
  | 'recording-not-found'
  | 'recording-deleted'
  | 'recording-in-progress'
  | 'not-found'
  | 'rate-limited'
  | 'too-many-streams'
  | 'internal'
  // Answered by the server itself, before express sees a request (client-error.ts).
  | 'bad-request'
  | 'request-header-too-large'
  | 'request-timeout';

export interface ApiErrorBody {
  error: ApiErrorCode;
  message: string;
  details?: unknown;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  toBody(): ApiErrorBody {
    return this.details === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, details: this.details };
  }
}

export const unauthorized = (message: string): ApiError => new ApiError(401, 'unauthorized', message);

export const invalidRequest = (message: string, details: unknown): ApiError =>
  new ApiError(400, 'invalid-request', message, details);

export const callNotFound = (id: string): ApiError => new ApiError(404, 'call-not-found', `no call with id ${id}`);

export const ticketNotFound = (number: string): ApiError =>
  new ApiError(404, 'ticket-not-found', `no ticket with number ${number}`);

export const routeNotFound = (method: string, path: string): ApiError =>
  new ApiError(404, 'not-found', `no route for ${method} ${path}`);

/** 429: the client sent too many requests (or too many wrong tokens); Retry-After says when to come back. */
export const rateLimited = (retryAfterSeconds: number | undefined): ApiError =>
  new ApiError(
    429,
    'rate-limited',
    retryAfterSeconds === undefined ? 'too many requests' : `too many requests; retry after ${retryAfterSeconds} s`,
    retryAfterSeconds === undefined ? undefined : { retryAfterSeconds },
  );

export const tooManyStreams = (agentId: string, max: number): ApiError =>
  new ApiError(429, 'too-many-streams', `agent ${agentId} already has ${max} open event streams`, { max });
