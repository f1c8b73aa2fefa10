"""Words of the field that several layers must spell the same way.

A table copied into two rule modules drifts (one learns a new rate-limit library, the
other does not), and then two rules disagree about the same code. Each table lives here once.
"""

from __future__ import annotations

ALL = "*"  # stands for "every header" / "every variable": a source we cannot read

# HTTP methods a FastAPI/Starlette router has a decorator for.
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
# Every decorator of a router that declares a route (`api_route` takes `methods=`).
ROUTE_DECORATORS = HTTP_METHODS | {"api_route", "websocket", "trace"}

# Python client libraries, by the qualified names their calls resolve to: the outbound-call
# rules (timeouts, retries, TLS, plain URLs), the pool rules and the Celery facts share them.
_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

REQUESTS_FUNCS = frozenset(f"requests.{v}" for v in _VERBS) | frozenset(
    f"requests.api.{v}" for v in _VERBS
)

HTTPX_FUNCS = frozenset(f"httpx.{v}" for v in (*_VERBS, "stream"))

REQUESTS_SESSION = frozenset({"requests.Session", "requests.session", "requests.sessions.Session"})

HTTPX_CLIENTS = frozenset({"httpx.Client", "httpx.AsyncClient"})

AIOHTTP_SESSION = frozenset({"aiohttp.ClientSession", "aiohttp.client.ClientSession"})

URLLIB3 = frozenset({"urllib3.PoolManager", "urllib3.request", "urllib3.HTTPConnectionPool"})

TWILIO_CLIENT = frozenset({"twilio.rest.Client"})

SUPABASE_CLIENT = frozenset(
    {"supabase.create_client", "supabase.create_async_client", "supabase.acreate_client"}
)

SESSION_METHODS = frozenset({*_VERBS, "send"})  # methods of a session or client object

# Outbound clients whose module should show a retry or breaker somewhere.
RETRYABLE = (
    REQUESTS_FUNCS
    | HTTPX_FUNCS
    | REQUESTS_SESSION
    | HTTPX_CLIENTS
    | AIOHTTP_SESSION
    | URLLIB3
    | TWILIO_CLIENT
)

# Importing one of these is a retry or circuit-breaker mechanism.
RETRY_MODULES = (
    "tenacity",
    "backoff",
    "stamina",
    "retrying",
    "retry",
    "retry2",
    "pybreaker",
    "circuitbreaker",
    "aiobreaker",
    "purgatory",
    "opnieuw",
    "httpx_retries",
    "aiohttp_retry",
    "redo",
)

# urllib3's `Retry`, under every name it is imported by.
RETRY_CALLS = frozenset(
    {
        "urllib3.Retry",
        "urllib3.util.Retry",
        "urllib3.util.retry.Retry",
        "requests.packages.urllib3.util.retry.Retry",
        "requests.adapters.Retry",
    }
)

# Transports that retry when given `retries=` / `max_retries=`.
TRANSPORTS_WITH_RETRIES = frozenset(
    {"httpx.HTTPTransport", "httpx.AsyncHTTPTransport", "twilio.http.http_client.TwilioHttpClient"}
)

# Database engines and pools, whose settings decide how they survive a failover.
ENGINES = frozenset(
    {
        "sqlalchemy.create_engine",
        "sqlalchemy.engine.create_engine",
        "sqlmodel.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine",
    }
)

PG_POOLS = frozenset(
    {"psycopg_pool.ConnectionPool", "psycopg_pool.AsyncConnectionPool", "asyncpg.create_pool"}
)

REDIS_CLIENTS = frozenset(
    {
        f"{m}.{c}"
        for m in ("redis", "redis.asyncio", "redis.client", "aioredis")
        for c in ("Redis", "StrictRedis", "from_url", "Redis.from_url", "StrictRedis.from_url")
    }
)

# Clients that hold connections: built once per process, never once per request.
PER_REQUEST_CLIENTS = (
    REQUESTS_SESSION
    | HTTPX_CLIENTS
    | AIOHTTP_SESSION
    | TWILIO_CLIENT
    | SUPABASE_CLIENT
    | ENGINES
    | PG_POOLS
    | REDIS_CLIENTS
    | frozenset({"asyncpg.connect", "psycopg.connect", "psycopg2.connect", "urllib3.PoolManager"})
)

# Methods of a logger (stdlib, loguru, structlog) that write a record.
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg"}
)

# Libraries that limit request rates. A name under one of them (an import, a decorator, a
# dependency, a middleware) is rate limiting to the FastAPI rules and to the checklist alike.
RATE_LIMIT_LIBS = (
    "slowapi",
    "fastapi_limiter",
    "limits",
    "ratelimit",
    "pyrate_limiter",
    "fastapi_throttle",
)

# Security response headers: lower-case, as configurations and code are matched, and how
# messages spell them.
HSTS = "strict-transport-security"
CSP = "content-security-policy"
PERMISSIONS_POLICY = "permissions-policy"
COOP = "cross-origin-opener-policy"
HEADER_SPELLING = {
    HSTS: "Strict-Transport-Security",
    "x-content-type-options": "X-Content-Type-Options",
    "x-frame-options": "X-Frame-Options",
    "referrer-policy": "Referrer-Policy",
    CSP: "Content-Security-Policy",
    PERMISSIONS_POLICY: "Permissions-Policy",
    COOP: "Cross-Origin-Opener-Policy",
}
# The four every site should send whatever it serves, HSTS first (it only means something
# over TLS). Each use composes its own set from these: a Content-Security-Policy has to be
# written for the site, so the rules ask for it on its own (NGX004, DATA-3).
SECURITY_HEADERS = (HSTS, "x-content-type-options", "x-frame-options", "referrer-policy")
