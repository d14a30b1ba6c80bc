/**
 * Every code of a `warning` event on `vector.events`: a non-fatal problem the engine got past
 * (a retried provider call, a storage head that lags behind, a listener that threw). Stable and
 * never reused, like error codes; docs/errors.md says what each means and what to do.
 */
export const WARNING_CODES = [
  'EVENT_LISTENER_FAILED',
  'JOB_FINALIZE_FAILED',
  /**
   * @deprecated The old spelling of `JOB_FINALIZE_FAILED`; no longer emitted, kept so existing
   * handlers compile.
   */
  'JOB_FINALISE_FAILED',
  'DEPLOYMENT_POLL_FAILED',
  'DEPLOYMENT_LOGS_FAILED',
  'DEPLOYMENT_RETIRE_FAILED',
  'DEPLOYMENT_TEARDOWN_FAILED',
  'PREVIEW_REAP_FAILED',
  'STORAGE_FINALIZE_FAILED',
  'ORGANIZATION_DELETED',
  'CONNECTOR_UNAVAILABLE',
  'STORAGE_SYNC_FAILED',
] as const;

/** The code of a `warning` event; see {@link WARNING_CODES}. */
export type WarningCode = (typeof WARNING_CODES)[number];
