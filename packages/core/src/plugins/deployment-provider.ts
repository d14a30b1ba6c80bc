import type { DeploymentEnvironment, DeploymentLog, DeploymentStatus } from '../schemas/deployment.js';
import type { SourceFile } from '../schemas/source-file.js';
import type { GitSource } from './storage-backend.js';

/** Where a provider gets the code to build. At least one of `git` or `getFiles` is usable. */
export interface DeploymentSource {
  /** Present when the project's storage is git-hosted: build this commit. */
  git: GitSource | null;
  /** The version's files, loaded on demand. */
  getFiles(): Promise<SourceFile[]>;
}

/** Optional features a provider declares. */
export interface DeploymentProviderCapabilities {
  environments: ReadonlyArray<DeploymentEnvironment>;
  /** Which sources it can build: raw files and/or git commits. */
  sources: ReadonlyArray<'files' | 'git'>;
  /** `getLogs` returns build/runtime output. */
  logs: boolean;
  /**
   * `getStatus` and `getLogs` answer from the provider's own memory, with no remote call (a
   * provider that builds on this machine). The engine then polls it at its base interval
   * without age backoff, so build output reaches the logs while it happens. Default false.
   */
  localStatus?: boolean;
}

/** The provider's view of one deployment. */
export interface ProviderDeploymentState {
  /** Opaque id the provider needs to find the deployment again; stored by core. */
  providerDeploymentId: string;
  status: DeploymentStatus;
  /** The platform's own status value, kept for display. */
  providerStatus: string;
  url: string | null;
  /** Why it failed, in the platform's words, when `status` is `failed`. */
  error?: { code: string; message: string };
}

/** One chunk of logs and the cursor to continue from. */
export interface ProviderLogPage {
  entries: Array<Pick<DeploymentLog, 'timestamp' | 'level' | 'source' | 'message'>>;
  /** Pass back to get only newer entries; null when the provider has none to give. */
  cursor: string | null;
}

/**
 * Version 1 of the deployment contract: runs a code version somewhere with a URL.
 *
 * Guarantees (the conformance kit checks them):
 * - `deploy` with an `idempotencyKey` it has seen returns the same deployment, creating nothing.
 * - `getStatus` maps the platform's enum onto core's five statuses and never throws for a
 *   deployment the platform lost: it reports `failed` (or `destroyed` after `destroy`).
 * - `getLogs` is incremental: passing the returned cursor yields only newer entries.
 * - `destroy` is idempotent.
 * - Secret values are never logged, returned or put in an error message.
 * Remote failures throw `ProviderError` with `isRetryable` set.
 */
export interface DeploymentProviderV1 {
  readonly specificationVersion: 'v1';
  /** Registry name, e.g. `railway`. */
  readonly name: string;
  readonly capabilities: DeploymentProviderCapabilities;
  init?(): Promise<void>;
  dispose?(): Promise<void>;
  deploy(input: {
    /** Core's deployment id: stable across retries. */
    deploymentId: string;
    idempotencyKey: string;
    project: { id: string; organizationId: string; name: string };
    version: { id: string; number: number; storageRef: string };
    environment: DeploymentEnvironment;
    source: DeploymentSource;
    env: Readonly<Record<string, string>>;
    secrets: Readonly<Record<string, string>>;
    signal?: AbortSignal;
  }): Promise<ProviderDeploymentState>;
  getStatus(input: { providerDeploymentId: string }): Promise<ProviderDeploymentState>;
  getLogs(input: { providerDeploymentId: string; cursor: string | null }): Promise<ProviderLogPage>;
  getUrl(input: { providerDeploymentId: string }): Promise<string | null>;
  destroy(input: { providerDeploymentId: string }): Promise<void>;
}

/** The deployment contract. */
export type DeploymentProvider = DeploymentProviderV1;
