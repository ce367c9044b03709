// ARI REST over plain HTTP, for an Asterisk that does not take requests on the events socket
// (before 20.14 / 21.9 / 22.4), and for what only HTTP carries (a recording's audio).
//
// Node's own http client with one keep-alive Agent of at most `maxConnections` sockets: Asterisk
// counts every open HTTP connection against http.conf's `sessionlimit` (default 100) and drops
// new ones past it, so the bound must sit below that limit. Requests beyond it wait in the
// Agent's queue, where their timeout still runs and an abort takes them out. ari-client is not
// used for REST any more: its Swagger 1.1 client (swagger-client 2.0.26 over Shred) takes no
// agent, no timeout and no abort, so a request on a dropped connection never settled and a
// timed-out one could not release its socket.
import http from 'node:http';
import https from 'node:https';
import { abortReason } from '../clock/clock.js';
import { AriLinkError, requestUri, type AriRequest, type AriResponse, type AriTransport } from './ari-request.js';

export interface HttpTransportOptions {
  /** http(s)://host:port of Asterisk's HTTP server. */
  url: string;
  user: string;
  password: string;
  /** Open connections at most (requests in flight at most). */
  maxConnections: number;
  /**
   * An idle kept-alive socket is closed after this long: shorter than Asterisk's own
   * `session_keep_alive` (15 s), so a request never goes out on a socket Asterisk is closing.
   */
  idleSocketMs?: number;
}

export interface BinaryResponse {
  status: number;
  reason: string;
  body: Buffer;
}

export class HttpTransport implements AriTransport {
  readonly kind = 'http';
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly auth: string;
  private readonly client: typeof http | typeof https;

  constructor(options: HttpTransportOptions) {
    this.base = new URL(options.url);
    this.client = this.base.protocol === 'https:' ? https : http;
    const agentOptions: http.AgentOptions = {
      keepAlive: true,
      maxSockets: options.maxConnections,
      maxTotalSockets: options.maxConnections,
      timeout: options.idleSocketMs ?? 10_000,
    };
    this.agent = this.client === https ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.auth = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  }

  async send(request: AriRequest, signal: AbortSignal): Promise<AriResponse> {
    const { status, reason, body } = await this.exchange(request, signal);
    return { status, reason, body: body.toString('utf8') };
  }

  /** The raw body (a recording's audio), whatever its status. */
  fetchBinary(request: AriRequest, signal: AbortSignal): Promise<BinaryResponse> {
    return this.exchange(request, signal);
  }

  /** Closes every socket; requests in flight fail at once. */
  close(): void {
    this.agent.destroy();
  }

  private exchange(request: AriRequest, signal: AbortSignal): Promise<BinaryResponse> {
    return new Promise<BinaryResponse>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortReason(signal));
        return;
      }
      const url = new URL(`/ari/${requestUri(request)}`, this.base);
      let settled = false;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        settle();
      };
      const req = this.client.request(url, {
        method: request.method,
        agent: this.agent,
        headers: { Authorization: this.auth, Accept: 'application/json', 'Content-Length': 0 },
      });
      const onAbort = () => {
        // Destroying the request frees its socket (or its place in the Agent's queue).
        req.destroy();
        finish(() => reject(abortReason(signal)));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => finish(() => reject(new AriLinkError(request, err.message))));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => finish(() => reject(new AriLinkError(request, err.message))));
        res.on('aborted', () => finish(() => reject(new AriLinkError(request, 'the response was cut off'))));
        res.on('end', () =>
          finish(() => resolve({ status: res.statusCode ?? 0, reason: res.statusMessage ?? '', body: Buffer.concat(chunks) })),
        );
      });
      req.end();
    });
  }
}
