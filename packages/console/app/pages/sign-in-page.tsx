import { useState } from 'preact/hooks';
import { createApiClient } from '../../src/lib/api-client';
import type { ApiError } from '../../src/lib/api-error';
import { ErrorBanner } from '../components';
import { asApiError } from '../use-api';

/** Asks for an API key and checks it with one read before keeping it for this tab. */
export function SignInPage({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="sign-in">
      <h1>Vector console</h1>
      <p>Sign in with an API key of your organization (organization or personal key). It is kept for this tab only and forgotten when the tab closes.</p>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          const trimmed = key.trim();
          try {
            await createApiClient({ baseUrl: '', key: trimmed }).request('GET', '/v1/projects?limit=1');
            onSignedIn(trimmed);
          } catch (caught) {
            setError(asApiError(caught));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" spellcheck={false} required value={key} onInput={(event) => setKey(event.currentTarget.value)} placeholder="vk_…" />
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      <ErrorBanner error={error} />
    </main>
  );
}
