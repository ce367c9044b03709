// The flow API (issue 11): put a new flow in force without a shell on the host, see which flow
// runs and every version that ran. A posted flow goes through the loader's own checks and is
// refused with the loader's file:line issues; a refused flow changes nothing, and the running
// flow keeps answering. Behind the API token like every /api route.
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { FlowInstaller, InstallOptions, InstallResult } from '../../flow/flow-installer.js';
import type { FlowVersionStore } from '../../flow/flow-version-store.js';
import { FLOW_LIMITS, tooLarge } from '../../flow/flow-yaml.js';
import { FlowError } from '../../flow/load-flow.js';
import { ApiError } from '../errors.js';
import { parseInput } from '../parse-input.js';

export interface FlowRoutesDeps {
  versions: FlowVersionStore;
  running: FlowInstaller['running'];
  install: (text: string, options: InstallOptions) => Promise<InstallResult>;
}

/** The body is the flow file's text: these types, UTF-8. */
export const FLOW_CONTENT_TYPES = ['text/yaml', 'application/yaml', 'text/plain'] as const;

// Digits only: z.coerce.number() would also take "1e3", " 5" or "0x10".
const positiveInt = (max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'expected a positive integer')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

// Kept with the load event and shown by the API: printable text, no control characters.
const label = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'no control characters');

const PostFlowQuery = z
  .object({
    dryRun: flag.optional().describe('1: only validate; nothing is written, stored or swapped'),
    by: label(64).optional().describe('who puts this flow in force, kept with the load'),
    note: label(500).optional().describe('why, kept with the load'),
  })
  // A misspelt `dryrun` silently ignored would put a flow in force that was meant to be checked.
  .strict();

const GetFlowQuery = z.object({ content: flag.optional() }).strict();

const PageQuery = z
  .object({
    limit: positiveInt(500).default(50),
    before: positiveInt(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

const VersionId = z.string().regex(/^\d{1,15}$/, 'a version id is a positive integer').transform(Number);

/** The media type of a request, lower case, and its charset if one is named. */
function mediaType(header: string | undefined): { type: string; charset: string | undefined } {
  const [type = '', ...params] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"(.*)"$/, '$1');
  return { type, charset };
}

function unsupportedType(type: string): ApiError {
  const accepted = FLOW_CONTENT_TYPES.join(', ');
  return new ApiError(
    415,
    'unsupported-media-type',
    type ? `a flow is posted as ${accepted}, not ${type}` : `a flow is posted as ${accepted} (no Content-Type was given)`,
    { accepted },
  );
}

/** POST /flow, GET /flow, GET /flow/versions, GET /flow/versions/:id, GET /flow/loads. */
export function flowRoutes(deps: FlowRoutesDeps): Router {
  const router = Router();
  const text = express.text({ type: () => true, limit: FLOW_LIMITS.bytes, defaultCharset: 'utf-8' });
  // The type is checked before the body is read, and the parser's own refusals get this API's codes.
  const readFlowText: RequestHandler = (req, res, next) => {
    const { type, charset } = mediaType(req.headers['content-type']);
    if (!(FLOW_CONTENT_TYPES as readonly string[]).includes(type)) {
      next(unsupportedType(type));
      return;
    }
    // The flow file is UTF-8, and the text stored and hashed is the text written: no transcoding.
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      next(new ApiError(415, 'unsupported-media-type', `a flow is UTF-8 text, not ${charset}`, { accepted: FLOW_CONTENT_TYPES.join(', ') }));
      return;
    }
    text(req, res, (err?: unknown) => {
      if (err === undefined) {
        next();
        return;
      }
      const kind = typeof err === 'object' && err !== null && 'type' in err ? err.type : undefined;
      if (kind === 'entity.too.large') {
        const length = Number(req.headers['content-length']);
        const size = Number.isFinite(length) && length > FLOW_LIMITS.bytes ? length : FLOW_LIMITS.bytes + 1;
        next(new ApiError(413, 'flow-too-large', tooLarge(size, FLOW_LIMITS.bytes), { limit: FLOW_LIMITS.bytes }));
      } else if (kind === 'encoding.unsupported') {
        // A Content-Encoding (gzip, say) the parser does not take.
        next(new ApiError(415, 'unsupported-media-type', err instanceof Error ? err.message : 'unsupported content encoding'));
      } else {
        next(err);
      }
    });
  };

  router.post('/flow', readFlowText, async (req, res) => {
    const { dryRun, by, note } = parseInput(PostFlowQuery, req.query);
    const body: unknown = req.body;
    const flowText = typeof body === 'string' ? body : '';
    let result: InstallResult;
    try {
      result = await deps.install(flowText, {
        ...(dryRun === undefined ? {} : { dryRun }),
        ...(by === undefined ? {} : { by }),
        ...(note === undefined ? {} : { note }),
      });
    } catch (err) {
      if (err instanceof FlowError) {
        // The loader's own text as the message (one issue a line, as at start and on SIGHUP).
        throw new ApiError(422, 'flow-invalid', err.message, { issues: err.issues, warnings: err.warnings });
      }
      throw err;
    }
    res.status(result.created ? 201 : 200).json({
      dryRun: result.dryRun,
      version: result.version,
      hash: result.hash,
      created: result.created,
      loadedAt: result.load?.loadedAt ?? null,
      warnings: result.warnings,
    });
  });

  /** The flow in force: its version and the load that put it there; ?content=1 adds the text. */
  router.get('/flow', (req, res) => {
    const { content } = parseInput(GetFlowQuery, req.query);
    const { version, load } = deps.running();
    const flow = {
      version: version.id,
      hash: version.hash,
      loadId: load.id,
      loadedAt: load.loadedAt,
      loadedBy: load.loadedBy,
      by: load.by,
      source: load.source,
      note: load.note,
    };
    res.json({ flow: content ? { ...flow, content: deps.versions.get(version.id)?.content ?? null } : flow });
  });

  router.get('/flow/versions', (req, res) => {
    const { limit, before } = parseInput(PageQuery, req.query);
    res.json({ versions: deps.versions.list(before === undefined ? { limit } : { limit, before }) });
  });

  router.get('/flow/versions/:id', (req, res) => {
    const id = parseInput(VersionId, req.params.id, 'invalid flow version id');
    const version = deps.versions.get(id);
    if (!version) throw new ApiError(404, 'flow-version-not-found', `no flow version with id ${id}`);
    res.json({ version });
  });

  /** Every load event (start, SIGHUP, API), newest first. */
  router.get('/flow/loads', (req, res) => {
    const { limit, before } = parseInput(PageQuery, req.query);
    res.json({ loads: deps.versions.loads(before === undefined ? { limit } : { limit, before }) });
  });

  return router;
}
