/**
 * A live event source that can lose events, such as the PostgreSQL LISTEN/NOTIFY bridge: its
 * health (for `/readyz`) and a signal that consumers must re-read from the database what they
 * may have missed. The in-process bus needs neither and is used without one.
 */
export interface EventFeed {
  /** False while events from other processes cannot arrive (the connection is being re-established). */
  isHealthy(): boolean;
  /** Calls `listener` each time delivery resumes after a gap; answers an unsubscribe function. */
  onResync(listener: () => void): () => void;
}
