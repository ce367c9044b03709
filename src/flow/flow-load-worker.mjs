// The thread that loads a flow file for a reload, or checks a flow posted to the API (see
// load-flow-off-thread.ts). It registers tsx itself, so it runs the same TypeScript loader
// whatever started the controller (npm start, a test runner), then does the one job it was
// given and posts the result.
import { register } from 'tsx/esm/api';

register();
await import('./flow-load-job.ts');
