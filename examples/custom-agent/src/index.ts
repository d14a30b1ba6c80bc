/**
 * `@vector/example-custom-agent`: a Vector agent that needs no model; it formats a
 * project's files and reports what it changed.
 * @packageDocumentation
 */
export { createFormatterAgent, type FormatterAgentOptions } from './create-formatter-agent.js';
export { formatFile, type FormatOutcome } from './format-file.js';
