export { abortableDelay } from './abortable-delay.js';
export { redactSecretValues } from './redact-secret-values.js';
