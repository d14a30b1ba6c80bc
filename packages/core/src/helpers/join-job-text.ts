import type { AgentJobEvent } from '../schemas/agent-event.js';

/**
 * The text a job's model calls streamed, each delta once, from its event log (or a replay of
 * it). Text deltas belong to the model call the next `step` (or `usage`) event of the same
 * attempt closes: they count when it succeeded, and are dropped when it failed (a retried
 * call) or when a new attempt began before any closed them (the call was cut off; the resumed
 * attempt makes it again). The open tail of the latest attempt counts: it is still streaming.
 */
export function joinJobText(events: Iterable<Pick<AgentJobEvent, 'attempt' | 'data'>>): string {
  let joined = '';
  let open = '';
  let attempt = 0;
  for (const { attempt: eventAttempt, data } of events) {
    if (eventAttempt !== attempt) {
      // A new attempt: what the previous one left open was cut off.
      attempt = eventAttempt;
      open = '';
    }
    if (data.type === 'text_delta') open += data.text;
    else if (data.type === 'usage' || (data.type === 'step' && data.kind === 'model')) {
      if (data.type === 'usage' || data.status === 'succeeded') joined += open;
      open = '';
    }
  }
  return joined + open;
}
