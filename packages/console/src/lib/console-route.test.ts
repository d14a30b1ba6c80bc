import { describe, expect, it } from 'vitest';
import { consolePath, parseConsoleRoute } from './console-route.js';

describe('parseConsoleRoute', () => {
  it('reads every page and round-trips through consolePath', () => {
    expect(parseConsoleRoute('/console/')).toEqual({ page: 'projects' });
    expect(parseConsoleRoute('/console')).toEqual({ page: 'projects' });
    expect(parseConsoleRoute('/console/audit')).toEqual({ page: 'audit' });
    expect(parseConsoleRoute('/console/projects/p1')).toEqual({ page: 'project', projectId: 'p1', tab: 'chat' });
    for (const tab of ['chat', 'versions', 'deployments', 'data'] as const) {
      const route = { page: 'project' as const, projectId: 'p 1', tab };
      expect(parseConsoleRoute(consolePath(route))).toEqual(route);
    }
  });

  it('answers not-found for anything else', () => {
    expect(parseConsoleRoute('/console/projects/p1/nope')).toEqual({ page: 'not-found', path: '/console/projects/p1/nope' });
  });
});
