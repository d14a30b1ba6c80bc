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

/** Input of {@link DeploymentProviderV1.deploy}. */
export interface DeployInput {
  /** Core's deployment id: stable across retries. */
  deploymentId: string;
  /** Same key, same deployment: a provider that has seen it returns that deployment and creates nothing. */
  idempotencyKey: string;
  /** The project the version belongs to. */
  project: { id: string; organizationId: string; name: string };
  /** The code version to deploy; `storageRef` is its ref in the project's storage. */
  version: { id: string; number: number; storageRef: string };
  /** Where it runs: one of the provider's `capabilities.environments`. */
  environment: DeploymentEnvironment;
  /** Where to get the code to build. */
  source: DeploymentSource;
  /** Environment variables to give the app. A name is never in both `env` and `secrets`. */
  env: Readonly<Record<string, string>>;
  /** Secret environment variables to give the app; never logged, returned or put in an error message. */
  secrets: Readonly<Record<string, string>>;
  /** Aborts the deploy call. */
  signal?: AbortSignal;
}

/**
 * Input of {@link DeploymentProviderV1.getStatus}, {@link DeploymentProviderV1.getUrl} and
 * {@link DeploymentProviderV1.destroy}: which deployment.
 */
export interface ProviderDeploymentInput {
  /** The id the provider returned in {@link ProviderDeploymentState}. */
  providerDeploymentId: string;
}

/** Input of {@link DeploymentProviderV1.getLogs}. */
export interface GetLogsInput {
  /** The id the provider returned in {@link ProviderDeploymentState}. */
  providerDeploymentId: string;
  /** The cursor of the previous page, for newer entries only; null: from the start. */
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
  deploy(input: DeployInput): Promise<ProviderDeploymentState>;
  getStatus(input: ProviderDeploymentInput): Promise<ProviderDeploymentState>;
  getLogs(input: GetLogsInput): Promise<ProviderLogPage>;
  getUrl(input: ProviderDeploymentInput): Promise<string | null>;
  destroy(input: ProviderDeploymentInput): Promise<void>;
}

/** The deployment contract. */
export type DeploymentProvider = DeploymentProviderV1;
