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
