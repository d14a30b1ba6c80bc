/** The instrumentation scope of the server's own metrics. */
export const SERVER_METER_NAME = '@vector/server';
