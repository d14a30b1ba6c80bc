export { abortableDelay } from './abortable-delay.js';
export { redactSecretValues } from './redact-secret-values.js';
export { maskSecrets } from './mask-secrets.js';
export { createLogBuffer, type LogBuffer } from './create-log-buffer.js';
export { createSemaphore, type Semaphore } from './create-semaphore.js';
