/**
 * Kysely table types of the core metadata store. JSON columns hold JSON text and timestamps
 * hold ISO-8601 UTC text on both dialects, so rows read the same from SQLite and PostgreSQL.
 */
export interface CoreDatabase {
  vector_organizations: { id: string; name: string; slug: string; monthly_budget_usd: number | null; created_at: string; updated_at: string };
  vector_users: { id: string; email: string; name: string; created_at: string };
  /** `name`: what the organization calls the member (given when it added them), or null; never shown to another organization. */
  vector_memberships: { organization_id: string; user_id: string; role: string; name: string | null; created_at: string };
  vector_projects: {
    id: string;
    organization_id: string;
    name: string;
    description: string;
    storage_backend: string;
    settings: string;
    current_version_id: string | null;
    published_version_id: string | null;
    version_counter: number;
    /** Row changes of the project's runtime data so far; hands out `vector_data_row_versions.revision`. */
    data_revision: number;
    /** JSON: the divergence between Vector's head and the storage's branch, while unsettled (see `StorageConflict`); null when in step. */
    storage_conflict: string | null;
    created_at: string;
    updated_at: string;
  };
  vector_code_versions: {
    id: string;
    project_id: string;
    organization_id: string;
    number: number;
    parent_id: string | null;
    storage_ref: string;
    message: string;
    source: string;
    restored_from_id: string | null;
    job_id: string | null;
    validation_status: string;
    validation_check: string | null;
    generation_status: string;
    file_count: number;
    created_by: string;
    /** JSON `{ name, email }`: who wrote a commit made outside Vector (imports); null otherwise. */
    author: string | null;
    created_at: string;
  };
  vector_agent_sessions: {
    id: string;
    project_id: string;
    organization_id: string;
    agent_type: string;
    title: string;
    settings: string;
    message_counter: number;
    created_by: string;
    created_at: string;
    updated_at: string;
  };
  vector_chat_messages: {
    id: string;
    session_id: string;
    project_id: string;
    organization_id: string;
    position: number;
    role: string;
    content: string;
    job_id: string | null;
    version_id: string | null;
    created_by: string;
    created_at: string;
  };
  vector_agent_jobs: {
    id: string;
    project_id: string;
    organization_id: string;
    session_id: string;
    message_id: string;
    agent_type: string;
    status: string;
    job_type: string | null;
    base_version_id: string | null;
    result_version_id: string | null;
    plan: string | null;
    error: string | null;
    max_steps: number;
    max_tokens: number;
    max_cost_usd: number | null;
    prompt_tokens: number;
    cached_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    /** Model calls. */
    steps: number;
    /** Steps recorded (model and tool calls); hands out `vector_agent_steps.step_index`. */
    step_counter: number;
    cost_usd: number;
    unpriced_calls: number;
    attempts: number;
    event_counter: number;
    worker_id: string | null;
    heartbeat_at: string | null;
    cancel_requested_at: string | null;
    created_by: string;
    created_at: string;
    started_at: string | null;
    finished_at: string | null;
    /** The trace context of the request that queued the job (a propagation carrier as JSON), or null. */
    trace_context: string | null;
  };
  vector_agent_steps: {
    id: string;
    job_id: string;
    organization_id: string;
    project_id: string;
    session_id: string;
    step_index: number;
    attempt: number;
    kind: string;
    name: string;
    model: string | null;
    input_digest: string | null;
    output: string | null;
    status: string;
    error: string | null;
    prompt_tokens: number;
    cached_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    cost_usd: number | null;
    duration_ms: number;
    created_at: string;
  };
  vector_agent_job_events: { job_id: string; sequence: number; data: string; created_at: string; attempt: number };
  vector_deployments: {
    id: string;
    project_id: string;
    organization_id: string;
    version_id: string;
    provider: string;
    environment: string;
    status: string;
    provider_deployment_id: string | null;
    provider_status: string | null;
    url: string | null;
    env: string;
    secret_keys: string;
    expires_at: string | null;
    idempotency_key: string | null;
    error: string | null;
    log_cursor: string | null;
    log_counter: number;
    poll_failures: number;
    next_poll_at: string | null;
    created_by: string;
    created_at: string;
    updated_at: string;
    live_at: string | null;
    destroyed_at: string | null;
  };
  vector_deployment_logs: {
    deployment_id: string;
    sequence: number;
    timestamp: string;
    level: string;
    source: string;
    message: string;
  };
  vector_audit_logs: {
    id: string;
    organization_id: string;
    project_id: string | null;
    actor_type: string;
    actor_id: string;
    action: string;
    entity_type: string;
    entity_id: string;
    before_id: string | null;
    after_id: string | null;
    data: string;
    created_at: string;
  };
  /** Commits a source mirror published, one per (version, mirror). */
  vector_source_mirrors: {
    version_id: string;
    mirror: string;
    project_id: string;
    organization_id: string;
    repository_url: string;
    owner: string;
    repository: string;
    branch: string;
    commit_sha: string;
    created_at: string;
  };
  vector_data_tables: {
    id: string;
    project_id: string;
    organization_id: string;
    name: string;
    /** `production`, or `preview:<deployment id>` for a preview's copy (whose `name` is stored as `<name>#<branch>`). */
    branch: string;
    columns: string;
    indexes: string;
    access: string;
    created_at: string;
    updated_at: string;
  };
  vector_engine_secrets: { name: string; value: string; created_at: string };
  vector_mcp_connectors: {
    id: string;
    organization_id: string;
    project_id: string | null;
    scope_key: string;
    name: string;
    transport: string;
    url: string;
    header_names: string;
    /** The headers, as JSON sealed by the engine's secret box (null: none). */
    sealed_headers: string | null;
    allowed_tools: string | null;
    enabled: number;
    health: string | null;
    created_by: string;
    created_at: string;
    updated_at: string;
  };
  vector_data_row_versions: {
    id: string;
    project_id: string;
    organization_id: string;
    table_id: string;
    row_id: string;
    revision: number;
    data: string | null;
    actor: string;
    created_at: string;
  };
  vector_data_checkpoints: {
    id: string;
    project_id: string;
    organization_id: string;
    version_id: string;
    revision: number;
    tables: string;
    created_at: string;
  };
  vector_data_migrations: {
    id: string;
    project_id: string;
    organization_id: string;
    environment: string;
    version_id: string;
    from_version_id: string | null;
    steps: string;
    destructive: number;
    created_by: string;
    created_at: string;
  };
  vector_data_rows: {
    id: string;
    table_id: string;
    project_id: string;
    organization_id: string;
    data: string;
    created_at: string;
    updated_at: string;
  };
}
