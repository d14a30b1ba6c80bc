// The slice of the API's answers the console reads (see the server's OpenAPI document at /v1/openapi.json).

export interface Project {
  id: string;
  name: string;
  description: string;
  currentVersionId: string | null;
  publishedVersionId: string | null;
  createdAt: string;
}

export interface Version {
  id: string;
  number: number;
  parentId: string | null;
  message: string;
  source: string;
  restoredFromId: string | null;
  validationStatus: string;
  fileCount: number;
  createdBy: string;
  createdAt: string;
}

export interface FileDiff {
  path: string;
  previousPath?: string;
  status: 'added' | 'modified' | 'deleted' | 'renamed';
  binary: boolean;
  patch?: string;
  additions: number;
  deletions: number;
}

export interface Session {
  id: string;
  title: string;
  createdAt: string;
}

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  jobId: string | null;
  versionId: string | null;
  createdAt: string;
}

export interface Job {
  id: string;
  sessionId: string;
  status: string;
  createdAt: string;
  resultVersionId: string | null;
}

export interface Deployment {
  id: string;
  versionId: string;
  provider: string;
  environment: 'preview' | 'production';
  status: string;
  url: string | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  liveAt: string | null;
  destroyedAt: string | null;
}

export interface DeploymentLog {
  sequence: number;
  timestamp: string;
  level: string;
  source: string;
  message: string;
}

export interface DataTable {
  id: string;
  name: string;
  columns: Array<{ name: string; type: string; required: boolean }>;
}

export interface DataRow {
  id: string;
  data: Record<string, unknown>;
  createdAt: string;
}

export interface AuditEntry {
  id: string;
  projectId: string | null;
  actor: { type: string; id: string };
  action: string;
  entityType: string;
  entityId: string;
  createdAt: string;
}
