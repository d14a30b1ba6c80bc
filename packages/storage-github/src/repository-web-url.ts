/** The web address of a repository, from the REST API root it is reached through. */
export function repositoryWebUrl(baseUrl: string, owner: string, repository: string): string {
  const url = new URL(baseUrl);
  // github.com's API lives on api.github.com; GitHub Enterprise Server's under /api/v3.
  const origin = url.hostname === 'api.github.com' ? 'https://github.com' : `${url.protocol}//${url.host}`;
  return `${origin}/${owner}/${repository}`;
}
