"""Settings, from environment variables (see the README's table)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    mongodb_uri: str | None = None
    mongodb_database: str = "customer_graph"
    mongodb_timeout_ms: int = 10_000

    host: str = "127.0.0.1"
    port: int = 8000

    graphiql_enabled: bool = True
    introspection_enabled: bool = True
    mask_errors: bool = True

    max_depth: int = 10
    max_aliases: int = 20
    max_tokens: int = 3_000
    max_body_bytes: int = 256 * 1024
    # Plain leaf fields read directly instead of through graphql-core's per-field machinery
    # (resolvers/executor.py); off = stock execution, for comparison and as an escape hatch.
    leaf_shortcut: bool = True
    # Queries run through a plan compiled once per document (resolvers/fastpath.py), falling back to
    # standard execution for anything the plan does not answer exactly; off = standard execution.
    fast_path: bool = True

    api_key_cache_seconds: float = 30.0
    # How often a process reads the store's revocation epoch (only while requests arrive): a revoked key
    # stops working within about this long, despite the cache above (README, *Using the API*).
    api_key_revocation_check_seconds: float = 1.0
    card_fingerprint_secret: SecretStr = SecretStr("dev-only-fingerprint-secret-change-me")

    attachment_max_bytes: int = 10 * 1024 * 1024
    api_log_ttl_days: float = 90.0
    api_log_sweep_seconds: float = 3600.0  # only where the server has no TTL indexes (FerretDB v1)
    # compliance (docs/compliance.md): AML screening is an add-on the operator activates (the guide's "contact
    # Rebilly to activate"); when on, customers are screened on sign-up, first payment and every N days
    aml_screening_enabled: bool = False
    aml_recurring_days: float = 30.0
    # Money (docs/money.md): the sandbox gateway settles approved sales this long after processing
    # (before that a refund is a void); hosted payment and payout-request links live this long.
    settlement_delay_seconds: float = 3600.0
    payment_link_hours: float = 24.0
    link_secret: SecretStr = SecretStr("dev-only-link-secret-change-me")
    public_url: str | None = None
    # Data tables (docs/data-tables.md): CSV exports, started and watched by the scheduler's worker.
    export_poll_seconds: float = 2.0
    export_lease_seconds: float = 300.0
    export_checkpoint_rows: int = 5_000
    export_expiry_hours: float = 72.0
    duplicate_ranking_refresh_minutes: float = 60.0

    # The scheduler (resolvers/scheduler.py): due work run by a worker inside the gateway process; off
    # when workers run on their own (`python -m resolvers.cli worker`).
    scheduler_enabled: bool = True
    scheduler_poll_seconds: float = 1.0
    scheduler_lease_seconds: float = 60.0
    # Billing email (docs/billing.md): invoices are emailed through this SMTP server; without
    # `SMTP_HOST` emails stay queued in the outbox (the API says so) until a sender is configured.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool | None = None  # None: STARTTLS when the server offers it
    smtp_timeout_seconds: float = 15.0
    email_from: str = "billing@localhost"

    data_dir: str = ".data"
    log_level: str = "info"

    # The API's edge (docs/clients.md). CORS: origins allowed to call /graphql from a browser, comma
    # separated (none by default; `scripts/dev` allows its own and localhost origins), and/or a regex.
    cors_allow_origins: str = ""
    cors_allow_origin_regex: str | None = None
    # Query cost (resolvers/edge/cost.py): the most one request may cost, and each API key's leaky
    # bucket (size in points, refill per second; a size of 0 switches the bucket off).
    max_query_cost: int = 25_000
    cost_bucket_size: int = 200_000
    cost_restore_rate: float = 20_000.0
    # Buckets are shared by every gateway process through the store (resolvers/edge/budget.py); a process
    # takes up to this fraction of the bucket ahead, spent without a store round trip (0: every request
    # goes to the store).
    cost_bucket_reserve_fraction: float = 0.1
    # GETs of persisted queries: `Cache-Control: private, max-age=N` and an ETag (resolvers/edge/caching.py);
    # 0 = the browser keeps the answer and revalidates it each time (a 304 when unchanged).
    persisted_get_max_age_seconds: int = 0
    # Queries that run longer are stopped with TIMEOUT (mutations are never interrupted halfway).
    query_timeout_seconds: float = 30.0
    # Each response's `extensions.cost` (the cost is computed and taken from the bucket either way).
    cost_in_extensions: bool = True
    # Operations: a log line per request (`scripts/dev` turns it on), JSON logs, and OpenTelemetry
    # traces (exported as OpenTelemetry's OTEL_EXPORTER_OTLP_* variables say; needs the `otel` extras).
    dev_request_log: bool = False
    json_logs: bool = False
    otel_traces: bool = False
