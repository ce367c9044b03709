// One ARI REST request as the adapter asks for it, whatever carries it: the events WebSocket
// ("ARI REST over WebSocket", Asterisk 20.14 / 21.9 / 22.4 and later) or plain HTTP. The
// adapter builds requests; a transport sends them; the requester (ari-requester.ts) gives each a
// timeout, the call's signal and a retry where that is safe. Nothing here waits.

export type AriMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface AriRequest {
  method: AriMethod;
  /** The resource below /ari/, without a leading slash, each segment already encoded: `channels/1712.3/answer`. */
  path: string;
  query?: Readonly<Record<string, QueryValue>>;
}

/** What came back, before it is judged: the status, Asterisk's reason phrase and the body text. */
export interface AriResponse {
  status: number;
  reason: string;
  /** JSON text, or '' when the response had none (204). */
  body: string;
}

/** The link that carries requests. Both kinds reject at once when their link fails, never hang. */
export interface AriTransport {
  readonly kind: 'websocket' | 'http';
  /** Sends one request; rejects with the signal's reason as soon as it aborts. */
  send(request: AriRequest, signal: AbortSignal): Promise<AriResponse>;
}

/** `channels/<id>/answer`: every id is one path segment, whatever it holds. */
export function ariPath(...segments: string[]): string {
  return segments.map((s) => encodeURIComponent(s)).join('/');
}

/**
 * The query string as both transports send it. A list is one comma-separated value, as ARI reads
 * its `allowMultiple` parameters (`media=sound:a,sound:b`); undefined values are left out.
 * Only what a form-encoded query cannot carry literally is percent-encoded (`&`, `=`, `+`, `#`,
 * `%`, blanks, controls, non-ASCII): media URIs, ids and `TALK_DETECT(set)` travel as they are,
 * so they read the same whether or not the receiving side decodes (Asterisk decodes both
 * HTTP's query and a RESTRequest's `uri` query with its form parser).
 */
export function queryString(query: AriRequest['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : String(value);
    parts.push(`${encodeQueryPart(name)}=${encodeQueryPart(text)}`);
  }
  return parts.join('&');
}

function encodeQueryPart(text: string): string {
  return text.replace(/[^A-Za-z0-9\-._~!$'()*,;:@/?]/gu, (c) => encodeURIComponent(c));
}

/** The request's URI below /ari/, with its query: what a RESTRequest carries in `uri`. */
export function requestUri(request: AriRequest): string {
  const query = queryString(request.query);
  return query ? `${request.path}?${query}` : request.path;
}

/** A request Asterisk answered with an error status (4xx, 5xx). */
export class AriStatusError extends Error {
  constructor(
    readonly request: Pick<AriRequest, 'method' | 'path'>,
    readonly status: number,
    /** Asterisk's own words (the body's `message`), else the reason phrase. */
    readonly detail: string,
  ) {
    super(`ARI ${request.method} ${request.path} -> ${status}: ${detail}`);
    this.name = 'AriStatusError';
  }
}

/** No answer within the request timeout: Asterisk may or may not have done it. */
export class AriTimeoutError extends Error {
  constructor(readonly request: Pick<AriRequest, 'method' | 'path'>, readonly timeoutMs: number) {
    super(`ARI ${request.method} ${request.path}: no answer within ${timeoutMs} ms`);
    this.name = 'AriTimeoutError';
  }
}

/** The link failed (closed, refused, reset) before an answer came. */
export class AriLinkError extends Error {
  constructor(readonly request: Pick<AriRequest, 'method' | 'path'>, detail: string) {
    super(`ARI ${request.method} ${request.path}: ${detail}`);
    this.name = 'AriLinkError';
  }
}

/** Turns a response into its JSON value (undefined for an empty body), or throws AriStatusError. */
export function judge(request: AriRequest, response: AriResponse): unknown {
  const value = parseBody(response.body);
  if (response.status >= 200 && response.status < 300) return value;
  const message = value && typeof value === 'object' && 'message' in value ? value.message : undefined;
  const detail = typeof message === 'string' && message ? message : response.reason || 'error';
  throw new AriStatusError(request, response.status, detail);
}

function parseBody(body: string): unknown {
  if (!body) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
