/** Serialises a value for a JSON text column. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Parses a JSON text column (PostgreSQL drivers may already return objects). */
export function fromJson<T>(value: unknown): T {
  if (typeof value !== 'string') return value as T;
  return JSON.parse(value) as T;
}
