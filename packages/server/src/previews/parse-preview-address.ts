/** A preview base URL taken apart: how to recognise a preview's host and how to write its URL. */
export interface PreviewAddress {
  /** The template as given, e.g. `http://{id}.preview.localhost:3001/`. */
  template: string;
  /** `http:` or `https:`, as the template says. */
  protocol: 'http:' | 'https:';
  /** The provider deployment id a `Host` header names, or null when it is not a preview host. The port is ignored. */
  match(hostHeader: string | undefined): string | null;
  /** The public URL of a deployment. */
  url(providerDeploymentId: string): string;
}

// A DNS label: what the `{id}` of a preview host may stand for.
const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
// Stands in for `{id}` while the URL parser reads the template (it lowercases and checks hosts).
const sentinel = 'vectorpreviewidsentinel';

/**
 * Reads a preview base URL template, `{id}` standing for a provider deployment id, e.g.
 * `http://{id}.preview.localhost:3001/` or `https://{id}.preview.example.com/`. `{id}` must
 * appear once, inside the host name; the path must be `/`, with no query or fragment.
 *
 * @throws Error saying what is wrong with the template.
 */
export function parsePreviewAddress(template: string): PreviewAddress {
  if (template.split('{id}').length !== 2) throw new Error('must contain {id} exactly once');
  let parsed: URL;
  try {
    parsed = new URL(template.replace('{id}', sentinel));
  } catch {
    throw new Error('must be an http(s) URL, e.g. http://{id}.preview.localhost:3001/');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('must be an http(s) URL');
  if (!parsed.hostname.includes(sentinel)) throw new Error('{id} must be part of the host name (previews are told apart by host), e.g. http://{id}.preview.localhost:3001/');
  if (parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') {
    throw new Error('must have no path, query, fragment or credentials (it ends with the host and port, then /)');
  }
  const [before, after] = parsed.hostname.split(sentinel) as [string, string];
  const pattern = new RegExp(`^${escapeRegExp(before)}(${label})${escapeRegExp(after)}$`);
  const protocol = parsed.protocol;
  return {
    template,
    protocol,
    match(hostHeader) {
      if (!hostHeader) return null;
      // `Host: name[:port]`; host names are case-insensitive and may end with the root dot.
      const hostname = hostHeader.toLowerCase().replace(/:\d*$/, '').replace(/\.$/, '');
      return pattern.exec(hostname)?.[1] ?? null;
    },
    url(providerDeploymentId) {
      return template.replace('{id}', providerDeploymentId);
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
