// Every ARI request goes through here, whatever the transport: each attempt has a timeout (on
// the injected clock) and ends as soon as the caller's signal aborts (the call's, when the
// request is about one call; the service's otherwise), so no request can strand a call by never
// settling. Requests that are safe to repeat (reads, and DELETEs: a hang-up, stopping a
// playback) are tried again after a short pause when the link failed or timed out; anything
// else reaches the verb as an error, and the call handler ends the call with its events.
// It also keeps the figures /health reports: requests in flight, the oldest, recent timeouts;
// and times each attempt for the ARI latency the admission sheds on (request-latency.ts).
import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import {
  AriLinkError,
  AriStatusError,
  AriTimeoutError,
  judge,
  type AriRequest,
  type AriTransport,
} from './ari-request.js';
import type { RequestLatency } from './request-latency.js';

export interface RequesterOptions {
  clock: Clock;
  logger: Logger;
  /** Each attempt's limit. */
  timeoutMs: number;
  /** Pauses before the 2nd, 3rd… attempt of a request that may be repeated. */
  retryPausesMs?: readonly number[];
  /** Where each attempt's round trip goes (issue 12: shedding on ARI latency). */
  latency?: RequestLatency;
}

export interface RequestOptions {
  /** Default: GET and DELETE are repeated, the rest are not. */
  retry?: boolean;
  /** This request's own limit per attempt (a recording's audio may take longer than a command). */
  timeoutMs?: number;
  /** This request's own transport, over the one in force (a listing too big for the events socket). */
  transport?: AriTransport;
  /**
   * Whether its round trips count as ARI latency (default true). False for a transfer whose
   * time is its size (a recording's audio), not Asterisk's speed.
   */
  measured?: boolean;
}

/** What /health reads. */
export interface RequestFigures {
  inFlight: number;
  /** Age of the oldest request in flight (0 when none). */
  oldestMs: number;
  /** Requests that timed out within the last timeout period. */
  recentTimeouts: number;
  timeoutMs: number;
}

const DEFAULT_PAUSES = [250, 1000];

export class AriRequester {
  private readonly inFlight = new Set<{ startedAt: number }>();
  /** When recent attempts timed out, oldest first; pruned to one timeout period. */
  private readonly timeouts: number[] = [];
  private readonly pauses: readonly number[];

  constructor(
    private readonly options: RequesterOptions,
    /** The transport in force now (it changes when the link is re-established). */
    private readonly transport: () => AriTransport,
  ) {
    this.pauses = options.retryPausesMs ?? DEFAULT_PAUSES;
  }

  /** The request's JSON answer; rejects with AriStatusError, AriTimeoutError, AriLinkError or the signal's reason. */
  call(request: AriRequest, signal: AbortSignal, options: RequestOptions = {}): Promise<unknown> {
    // Judged inside the attempt: Asterisk's own 5xx on a repeatable request is tried again.
    return this.withRetry(request, signal, options, async (attempt) => judge(request, await (options.transport ?? this.transport()).send(request, attempt)));
  }

  /**
   * Like call(), through a transport the caller names (a recording's audio is binary, which only
   * HTTP carries), returning what that transport returns.
   */
  run<T>(request: AriRequest, signal: AbortSignal, options: RequestOptions, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.withRetry(request, signal, options, send);
  }

  figures(): RequestFigures {
    const now = this.options.clock.now();
    this.prune(now);
    let oldest = now;
    for (const entry of this.inFlight) oldest = Math.min(oldest, entry.startedAt);
    return { inFlight: this.inFlight.size, oldestMs: now - oldest, recentTimeouts: this.timeouts.length, timeoutMs: this.options.timeoutMs };
  }

  private async withRetry<T>(
    request: AriRequest,
    signal: AbortSignal,
    options: RequestOptions,
    send: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const repeatable = options.retry ?? (request.method === 'GET' || request.method === 'DELETE');
    const attempts = repeatable ? this.pauses.length + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(request, signal, options.timeoutMs ?? this.options.timeoutMs, options.measured ?? true, send);
      } catch (err) {
        if (signal.aborted || attempt >= attempts || !worthRepeating(err)) throw err;
        const pauseMs = this.pauses[attempt - 1] ?? 0;
        this.options.logger.debug({ method: request.method, path: request.path, attempt, pauseMs, err: (err as Error).message }, 'ARI request repeated');
        await this.options.clock.sleep(pauseMs, signal);
      }
    }
  }

  private async attempt<T>(
    request: AriRequest,
    signal: AbortSignal,
    timeoutMs: number,
    measured: boolean,
    send: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    signal.throwIfAborted();
    const { clock } = this.options;
    const entry = { startedAt: clock.now() };
    this.inFlight.add(entry);
    const timing = measured ? this.options.latency?.sent() : undefined;
    // The attempt's own signal: aborted by the caller's or at the timeout. Made by hand rather
    // than with childSignal(): on the way out it is not aborted but let go (below), one abort
    // event and one listener fewer per request, the most frequent thing the controller does.
    const attempt = new AbortController();
    const onCaller = () => attempt.abort(signal.reason);
    signal.addEventListener('abort', onCaller, { once: true });
    let timedOut = false;
    const timer = clock.timer(timeoutMs, attempt.signal, () => {
      timedOut = true;
      attempt.abort(new AriTimeoutError(request, timeoutMs));
    });
    try {
      const result = await send(attempt.signal);
      timing?.end(true);
      return result;
    } catch (err) {
      // A round trip to count: an answer (Asterisk's error status is one), or no answer within
      // the limit (counted at it). Not the caller giving up, nor a broken link (fails at once).
      timing?.end(timedOut || err instanceof AriStatusError);
      if (timedOut) {
        this.timeouts.push(clock.now());
        this.prune(clock.now());
        this.options.logger.warn({ method: request.method, path: request.path, timeoutMs }, 'ARI request timed out');
        throw new AriTimeoutError(request, timeoutMs);
      }
      throw err;
    } finally {
      // Ends the timer and stops listening to the caller. No abort: `send` has settled, and a
      // transport lets go of the attempt's signal as it settles (both remove their listener).
      timer.cancel();
      signal.removeEventListener('abort', onCaller);
      this.inFlight.delete(entry);
      timing?.end(false);
    }
  }

  private prune(now: number): void {
    const since = now - this.options.timeoutMs;
    while (this.timeouts.length > 0 && (this.timeouts[0]! <= since || this.timeouts.length > 10_000)) this.timeouts.shift();
  }
}

/** A failure another attempt may not meet: no answer, a broken link, or Asterisk's own 5xx. */
function worthRepeating(err: unknown): boolean {
  return err instanceof AriTimeoutError || err instanceof AriLinkError || (err instanceof AriStatusError && err.status >= 500);
}

