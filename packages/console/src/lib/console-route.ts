/** The console's pages, addressed by path under `/console/`. */
export type ConsoleRoute =
  | { page: 'projects' }
  | { page: 'audit' }
  | { page: 'project'; projectId: string; tab: ProjectTab }
  | { page: 'not-found'; path: string };

/** The tabs of a project. */
export type ProjectTab = 'chat' | 'versions' | 'deployments' | 'data';

const tabs: ReadonlyArray<ProjectTab> = ['chat', 'versions', 'deployments', 'data'];

/** Reads the route from a location's path (`/console/projects/<id>/versions`). */
export function parseConsoleRoute(pathname: string): ConsoleRoute {
  const parts = pathname.replace(/^\/console\/?/, '').split('/').filter((part) => part.length > 0).map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'projects')) return { page: 'projects' };
  if (parts.length === 1 && parts[0] === 'audit') return { page: 'audit' };
  if (parts[0] === 'projects' && parts[1] && parts.length <= 3) {
    const tab = (parts[2] ?? 'chat') as ProjectTab;
    if (tabs.includes(tab)) return { page: 'project', projectId: parts[1], tab };
  }
  return { page: 'not-found', path: pathname };
}

/** The path of a route, the inverse of {@link parseConsoleRoute}. */
export function consolePath(route: Exclude<ConsoleRoute, { page: 'not-found' }>): string {
  if (route.page === 'projects') return '/console/projects';
  if (route.page === 'audit') return '/console/audit';
  return `/console/projects/${encodeURIComponent(route.projectId)}/${route.tab}`;
}
