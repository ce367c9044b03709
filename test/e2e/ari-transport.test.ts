// Issue 12, end to end: ARI REST requests against the sandbox's real Asterisk (22.x) all settle.
// Before, 400 concurrent requests through ari-client over HTTP gave 100 answers and 300 that
// never settled (Asterisk drops connections past http.conf's sessionlimit of 100). Now REST goes
// over the events WebSocket (one connection), or over HTTP with at most ARI_HTTP_MAX_CONNECTIONS
// connections; either way each request has a timeout.
import { describe, expect, it } from 'vitest';
import { startTestController } from './support/test-controller.js';

async function burst(listChannels: () => Promise<unknown>, n: number) {
  const started = Date.now();
  const results = await Promise.allSettled(Array.from({ length: n }, () => listChannels()));
  return {
    ms: Date.now() - started,
    answered: results.filter((r) => r.status === 'fulfilled').length,
    failed: results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : [])),
  };
}

describe('ARI REST transport on the real Asterisk', () => {
  it('issue 12: REST goes over the events WebSocket (Asterisk 22.4+), and 400 concurrent requests are all answered', async () => {
    const hotline = await startTestController('test/fixtures/flows/e2e.yaml');
    try {
      expect(hotline.controller.ari.health().transport).toBe('websocket');
      const result = await burst(() => hotline.controller.ari.listChannels(), 400);
      expect(result.failed).toEqual([]);
      expect(result.answered).toBe(400);
      expect(result.ms).toBeLessThan(5000);
    } finally {
      await hotline.stop();
    }
  });

  it('issue 12: over HTTP (ARI_TRANSPORT=http, 50 connections at most), 400 concurrent requests are all answered, none left pending', async () => {
    const hotline = await startTestController('test/fixtures/flows/e2e.yaml', { ARI_TRANSPORT: 'http', ARI_HTTP_MAX_CONNECTIONS: '50' });
    try {
      expect(hotline.controller.ari.health().transport).toBe('http');
      const result = await burst(() => hotline.controller.ari.listChannels(), 400);
      expect(result.failed).toEqual([]);
      expect(result.answered).toBe(400);
      expect(hotline.controller.ari.health().requests.inFlight).toBe(0);
    } finally {
      await hotline.stop();
    }
  });
});
