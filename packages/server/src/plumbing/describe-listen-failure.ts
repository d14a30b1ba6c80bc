/** A listener the CLI opens, named by the variables that set it, so a failure says what to change. */
export interface ListenerSettings {
  port: number;
  host: string;
  /** The variables of the port and the host, e.g. `PORT` and `HOST`. */
  portVariable: string;
  hostVariable: string;
}

/**
 * One line saying why a listener could not start and what to do, for the failures an operator
 * causes (port taken, a privileged port, an address this machine does not have); undefined
 * for anything else, which is a fault to report in full.
 *
 * @example
 * describeListenFailure(error, { port: 3000, host: '127.0.0.1', portVariable: 'PORT', hostVariable: 'HOST' });
 * // 'port 3000 on 127.0.0.1 is already in use (PORT); stop the other process or choose another port'
 */
export function describeListenFailure(error: unknown, listener: ListenerSettings): string | undefined {
  const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
  const { port, host, portVariable, hostVariable } = listener;
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use (${portVariable}); stop the other process or choose another port`;
    case 'EACCES':
      return `no permission to listen on port ${port} on ${host} (${portVariable}); ports below 1024 need privileges: choose one from 1024 up`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine (${hostVariable}); use 127.0.0.1, 0.0.0.0 or one of its own addresses`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name ${host} does not resolve (${hostVariable}); use an address such as 127.0.0.1 or 0.0.0.0`;
    default:
      return undefined;
  }
}
