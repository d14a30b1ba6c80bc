import { VectorError } from '../errors/vector-error.js';
import { errorMessage } from '../helpers/error-message.js';
import type { ErrorInfo } from '../schemas/agent-event.js';

/** What the engine stores of anything thrown: a Vector error's code and message, else `INTERNAL`. */
export function errorInfo(error: unknown): ErrorInfo {
  if (VectorError.isInstance(error)) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: errorMessage(error) };
}
