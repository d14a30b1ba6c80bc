// The API key lives in this tab's sessionStorage only: it is gone when the tab closes, and
// other tabs never see it. It is never written to localStorage, cookies or the URL.
const storageKey = 'vector.console.apiKey';

export function readSessionKey(): string | null {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

export function writeSessionKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(storageKey);
  else sessionStorage.setItem(storageKey, key);
}
