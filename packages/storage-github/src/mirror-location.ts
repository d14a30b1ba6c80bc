import { parseInput, type SourceMirrorProject } from '@vector/core';
import { branchSchema, nameSchema } from './github-names.js';
import type { RepositoryLocation } from './repository-location.js';
import type { ResolvedSourceMirrorOptions } from './resolve-source-mirror-options.js';

/**
 * Where the mirror publishes a project's versions: its repository (one per project or per
 * organization) and its branch there (`main`, or `<prefix><project id>` in an
 * organization's repository).
 */
export function locateMirror(project: SourceMirrorProject, options: ResolvedSourceMirrorOptions): RepositoryLocation {
  const repository = parseInput(nameSchema, options.repositoryName(project), 'mirror repository name');
  const branch = parseInput(branchSchema, options.scope === 'project' ? options.branch : `${options.branchPrefix}${project.id}`, 'mirror branch name');
  return { owner: options.owner, repository, branch, userConfigured: false };
}
