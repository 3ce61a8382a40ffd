namespace Portcullis.Storage.Sqlite;

/// <summary>The schema, in SQL that PostgreSQL also accepts (TEXT times in UTC ISO 8601, BLOB becomes BYTEA there).</summary>
internal static class SqliteSchema
{
    /// <summary>Columns added after a table was first shipped: (table, column, definition).</summary>
    public static readonly (string Table, string Column, string Definition)[] AddedColumns =
    [
        ("virtual_keys", "provider_config", "TEXT NULL"),
        ("request_logs", "deployment", "TEXT NULL"),
        ("request_logs", "upstream_model", "TEXT NULL"),
        ("request_logs", "cost_pico", "INTEGER NULL"),
        ("request_logs", "cached_prompt_tokens", "INTEGER NULL"),
        ("request_logs", "tokens_estimated", "INTEGER NOT NULL DEFAULT 0"),
        ("virtual_keys", "usage_limits", "TEXT NULL"),
        ("virtual_keys", "rate_limits", "TEXT NULL"),
        ("api_keys", "usage_limits", "TEXT NULL"),
        ("api_keys", "rate_limits", "TEXT NULL"),
        ("usage_reservations", "progress", "TEXT NULL"),
        ("request_logs", "workspace_id", "TEXT NULL"),
        ("virtual_keys", "integration_id", "TEXT NULL"),
        ("api_keys", "public_id", "TEXT NULL"),
        ("api_keys", "previous_key_hash", "BLOB NULL"),
        ("api_keys", "previous_key_expires_at", "TEXT NULL"),
        ("api_keys", "allowed_virtual_keys", "TEXT NULL"),
        ("api_keys", "allowed_models", "TEXT NULL"),
    ];

    /// <summary>Indexes on added columns: they run after <see cref="AddedColumns"/>, so older databases get them too.</summary>
    public static readonly string[] IndexesOnAddedColumns =
    [
        "CREATE UNIQUE INDEX IF NOT EXISTS ix_api_keys_public_id ON api_keys (public_id)",
    ];

    public static readonly string[] Statements =
    [
        """
        CREATE TABLE IF NOT EXISTS settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS master_keys (
            version INTEGER PRIMARY KEY,
            key_check BLOB NOT NULL,
            created_at TEXT NOT NULL,
            retired_at TEXT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS secrets (
            id TEXT PRIMARY KEY,
            purpose TEXT NOT NULL,
            workspace_id TEXT NOT NULL,
            master_key_version INTEGER NOT NULL,
            wrapped_data_key BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS ix_secrets_master_key_version ON secrets (master_key_version)",
        """
        CREATE TABLE IF NOT EXISTS virtual_keys (
            id TEXT PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            workspace_id TEXT NOT NULL,
            name TEXT NOT NULL,
            provider TEXT NOT NULL,
            note TEXT NULL,
            status TEXT NOT NULL,
            secret_id TEXT NULL REFERENCES secrets (id),
            key_mask TEXT NOT NULL,
            custom_host TEXT NULL,
            custom_header_names TEXT NOT NULL,
            custom_headers_secret_id TEXT NULL REFERENCES secrets (id),
            provider_config TEXT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            expires_at TEXT NULL,
            usage_limits TEXT NULL,
            rate_limits TEXT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS api_keys (
            id TEXT PRIMARY KEY,
            workspace_id TEXT NOT NULL,
            name TEXT NOT NULL,
            description TEXT NULL,
            type TEXT NOT NULL,
            scopes TEXT NOT NULL,
            key_hash BLOB NOT NULL UNIQUE,
            key_mask TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            expires_at TEXT NULL,
            usage_limits TEXT NULL,
            rate_limits TEXT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS request_logs (
            id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            trace_id TEXT NOT NULL,
            api_key_id TEXT NULL,
            virtual_key_slug TEXT NULL,
            provider TEXT NULL,
            model TEXT NULL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            status INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            stream INTEGER NOT NULL,
            latency_ms REAL NOT NULL,
            prompt_tokens INTEGER NULL,
            completion_tokens INTEGER NULL,
            total_tokens INTEGER NULL,
            deployment TEXT NULL,
            upstream_model TEXT NULL,
            cost_pico INTEGER NULL,
            cached_prompt_tokens INTEGER NULL,
            tokens_estimated INTEGER NOT NULL DEFAULT 0)
        """,
        "CREATE INDEX IF NOT EXISTS ix_request_logs_started_at ON request_logs (started_at)",
        // The usage summary per virtual key (the common question: what did this key spend this month) reads this one.
        "CREATE INDEX IF NOT EXISTS ix_request_logs_virtual_key_started_at ON request_logs (virtual_key_slug, started_at)",
        """
        CREATE TABLE IF NOT EXISTS budgets (
            id TEXT PRIMARY KEY,
            owner_kind TEXT NOT NULL,
            owner_id TEXT NOT NULL,
            type TEXT NOT NULL,
            current_usage INTEGER NOT NULL,
            total_usage INTEGER NOT NULL,
            anchor TEXT NOT NULL,
            period_start TEXT NOT NULL,
            next_reset_at TEXT NULL,
            alert_sent INTEGER NOT NULL,
            exhausted_sent INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS usage_reservations (
            request_id TEXT PRIMARY KEY,
            held TEXT NOT NULL,
            progress TEXT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor_key_id TEXT NULL,
            action TEXT NOT NULL,
            target_type TEXT NOT NULL,
            target_id TEXT NOT NULL,
            detail TEXT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS model_prices (
            scope TEXT NOT NULL,
            model TEXT NOT NULL,
            input_per_token INTEGER NOT NULL,
            cached_input_per_token INTEGER NOT NULL,
            output_per_token INTEGER NOT NULL,
            max_output_tokens INTEGER NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (scope, model))
        """,
        """
        CREATE TABLE IF NOT EXISTS workspaces (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT NULL,
            status TEXT NOT NULL,
            metadata TEXT NULL,
            usage_limits TEXT NULL,
            rate_limits TEXT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS ix_virtual_keys_workspace_id ON virtual_keys (workspace_id)",
        "CREATE INDEX IF NOT EXISTS ix_api_keys_workspace_id ON api_keys (workspace_id)",
        """
        CREATE TABLE IF NOT EXISTS integrations (
            id TEXT PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            workspace_id TEXT NULL,
            name TEXT NOT NULL,
            ai_provider_id TEXT NOT NULL,
            description TEXT NULL,
            status TEXT NOT NULL,
            secret_id TEXT NULL REFERENCES secrets (id),
            key_mask TEXT NOT NULL,
            custom_host TEXT NULL,
            custom_header_names TEXT NOT NULL,
            custom_headers_secret_id TEXT NULL REFERENCES secrets (id),
            configurations TEXT NULL,
            allow_all_models INTEGER NOT NULL,
            models TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS integration_workspaces (
            integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
            workspace_id TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            usage_limits TEXT NULL,
            rate_limits TEXT NULL,
            PRIMARY KEY (integration_id, workspace_id))
        """,
    ];
}
