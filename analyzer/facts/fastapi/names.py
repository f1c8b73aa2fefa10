"""The names FastAPI, Starlette and the libraries around them give to what the rules look for.

Matched against qualified names (imports resolved), so `from fastapi import Depends as D`
and `fastapi.params.Depends` are the same dependency marker.
"""

from __future__ import annotations

import re

from analyzer.core.vocabulary import CSP, PERMISSIONS_POLICY, SECURITY_HEADERS

APP_CLASSES = frozenset(
    {"fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette"}
)
ROUTER_CLASSES = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter"})

DEPENDS = frozenset(
    {"fastapi.Depends", "fastapi.params.Depends", "fastapi.param_functions.Depends"}
)
SECURITY = frozenset(
    {"fastapi.Security", "fastapi.params.Security", "fastapi.param_functions.Security"}
)
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated", "Annotated"})
NOT_BODY_PARAMS = frozenset(
    {
        f"fastapi.{n}"
        for n in ("Query", "Path", "Header", "Cookie", "Form", "File", "Depends", "Security")
    }
)
GZIP = frozenset(
    {
        "fastapi.middleware.gzip.GZipMiddleware",
        "starlette.middleware.gzip.GZipMiddleware",
        "brotli_asgi.BrotliMiddleware",
        "starlette_compress.CompressMiddleware",
    }
)
CORS = frozenset(
    {"fastapi.middleware.cors.CORSMiddleware", "starlette.middleware.cors.CORSMiddleware"}
)
AUTH_MIDDLEWARE = frozenset({"starlette.middleware.authentication.AuthenticationMiddleware"})
# Header names whose string in the code means the app sets security headers itself: the four
# a proxy is asked for, and the two policies an app sets as often (API008 asks for any one).
CODE_SECURITY_HEADERS = frozenset({*SECURITY_HEADERS, CSP, PERMISSIONS_POLICY})
# Libraries whose presence in application code means the capability exists.
METRICS_LIBS = (
    "prometheus_client",
    "prometheus_fastapi_instrumentator",
    "starlette_exporter",
    "starlette_prometheus",
    "aioprometheus",
    "opentelemetry.exporter.prometheus",
)
TRACING_LIBS = ("opentelemetry", "ddtrace", "elasticapm", "newrelic", "aws_xray_sdk")
REQUEST_ID_LIBS = ("asgi_correlation_id", "starlette_context", "fastapi_request_id")
HEADER_LIBS = ("secure", "secweb", "starlette_csp", "fastapi_security")
AUTH_LIBS = (
    "fastapi.security",
    "jwt",
    "jose",
    "authlib",
    "fastapi_users",
    "fastapi_jwt_auth",
    "fastapi_login",
    "firebase_admin.auth",
    "supabase_auth",
    "gotrue",
    "passlib",
    "itsdangerous",
    "starlette.middleware.authentication",
    "fastapi_azure_auth",
    "fastapi_auth0",
    "fastapi_cloudauth",
    "keycloak",
)
# Name words that make a dependency an authentication dependency (split on _ and camelCase).
AUTH_WORDS = frozenset(
    {
        "auth", "authenticate", "authenticated", "authentication", "authorization",
        "authorize", "authorized", "user", "token", "apikey", "jwt", "permission",
        "permissions", "scope", "scopes", "admin", "login", "credential", "credentials",
        "principal", "verify", "verified", "signature", "security", "guard", "bearer",
        "oauth", "oauth2", "role", "roles", "claims", "identity", "superuser", "require",
        "requires", "protected", "signed",
    }
)  # fmt: skip
PAGINATION_WORDS = frozenset({"pagination", "paginate", "paginator", "page", "paging", "params"})
PAGINATION_PARAMS = frozenset(
    {"limit", "offset", "skip", "page", "per_page", "page_size", "pagesize", "size", "cursor",
     "after", "before", "first", "last", "take", "top", "max_results", "page_token", "start"}
)  # fmt: skip
_WORD_SPLIT = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def name_words(name: str) -> set[str]:
    """`get_current_user` -> {get, current, user}; `APIKeyHeader` -> {api, key, header, apikey}."""
    words = {w.lower() for w in _WORD_SPLIT.findall(name)}
    low = name.lower().replace("_", "")
    if "apikey" in low:
        words.add("apikey")
    return words
