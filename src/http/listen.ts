// Starting the HTTP listener. A taken port is the usual reason it fails (a controller left
// running, `npm start` twice): that gets an error naming the port and the setting to change.
import { createServer, type RequestListener, type Server } from 'node:http';
import { answerClientErrors } from './client-error.js';

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';

  constructor(
    readonly port: number,
    readonly host: string,
    options?: ErrorOptions,
  ) {
    super(
      `HTTP_PORT ${port} on ${host} is already in use (another controller running?); set HTTP_PORT to a free port`,
      options,
    );
  }
}

/**
 * Listens on host:port and resolves once the server accepts connections; rejects with
 * PortInUseError when the address is taken, or with the listen error otherwise. (Express 5's
 * app.listen hands the error to its callback, which made a failed listen look like success.)
 * Requests Node's parser refuses get a JSON answer (client-error.ts).
 */
export function listenHttp(handler: RequestListener, port: number, host: string): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const server = createServer(handler);
    answerClientErrors(server);
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, host, { cause: err }) : err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
