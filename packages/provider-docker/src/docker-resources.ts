import type { DockerClient } from './docker-client.js';
import { instanceFilter } from './docker-labels.js';

/** A container as `GET /containers/json` lists it. */
export interface ListedContainer {
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
  Labels?: Record<string, string>;
}

/** An image as `GET /images/json` lists it. */
export interface ListedImage {
  Id: string;
  RepoTags?: string[] | null;
  Labels?: Record<string, string> | null;
}

const isNotFound = (error: unknown) => (error as { status?: number }).status === 404;

/** Removes a container, running or not (`force`), with its anonymous volumes; gone already is fine. */
export async function removeContainer(client: DockerClient, container: string): Promise<void> {
  try {
    await client.json('DELETE', `/containers/${encodeURIComponent(container)}`, { query: { force: true, v: true } });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/**
 * Removes an image by tag or id, with its untagged parents that nothing else uses; gone
 * already is fine. A BuildKit image has no such parents (its cache lives apart); a classic
 * build's intermediate images (each labelled step among them) go with it, down to a parent
 * another image still uses.
 */
export async function removeImage(client: DockerClient, image: string): Promise<void> {
  try {
    await client.json('DELETE', `/images/${encodeURIComponent(image)}`, { query: { force: true } });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/**
 * Every container (running or not) and image labelled with this provider instance; with
 * `intermediate`, untagged intermediate images too (the classic builder's steps).
 */
export async function listInstanceResources(client: DockerClient, instance: string, options: { intermediate?: boolean } = {}): Promise<{ containers: ListedContainer[]; images: ListedImage[] }> {
  const filters = instanceFilter(instance);
  const [containers, images] = await Promise.all([
    client.json<ListedContainer[]>('GET', '/containers/json', { query: { all: true, filters } }),
    client.json<ListedImage[]>('GET', '/images/json', { query: { filters, all: options.intermediate === true } }),
  ]);
  return { containers, images };
}
