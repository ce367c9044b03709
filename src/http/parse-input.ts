import type { z } from 'zod';
import { invalidRequest } from './errors.js';

/** Validates a query string or a request body; failures are 400 invalid-request with one detail per issue. */
export function parseInput<T>(schema: z.ZodType<T>, query: unknown, message = 'invalid query parameters'): T {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  throw invalidRequest(
    message,
    parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  );
}
