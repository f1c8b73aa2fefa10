"""Evidence in supabase/config.toml: token lifetimes, refresh-token rotation, email confirmation.

Only keys the file states count (a default is not a decision anyone made),
and a claim must hold for every profile (the base tables and each
`[remotes.<name>]` block, which can override them), with the line of the
key that sets the value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from analyzer.core.model import Evidence
from analyzer.evidence.core import detector
from analyzer.facts.repo import RepoView
from analyzer.facts.supabase import MAX_JWT_EXPIRY, MAX_REUSE_INTERVAL, profiles
from analyzer.parsers.supabase_config import SupabaseConfig


def _configs(repo: RepoView) -> list[SupabaseConfig]:
    return [r.facts for r in repo.of_kind("supabase-config") if isinstance(r.facts, SupabaseConfig)]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@detector("AUTH-4")
def token_expiry(repo: RepoView) -> Iterator[Evidence]:
    for config in _configs(repo):
        values = [_int(p.get("auth.jwt_expiry")) for p in profiles(config)]
        if values and all(v is not None and 0 < v <= MAX_JWT_EXPIRY for v in values):
            yield Evidence(
                "AUTH-4",
                f"Supabase access tokens expire after {max(v or 0 for v in values)} s "
                "(`jwt_expiry`)",
                config.path,
                config.line("auth.jwt_expiry"),
            )


@detector("AUTH-5")
def refresh_rotation(repo: RepoView) -> Iterator[Evidence]:
    for config in _configs(repo):
        ps = profiles(config)
        rotated = all(p.get("auth.enable_refresh_token_rotation") is True for p in ps)
        reuse = [_int(p.get("auth.refresh_token_reuse_interval")) for p in ps]
        if rotated and all(r is None or r <= MAX_REUSE_INTERVAL for r in reuse):
            yield Evidence(
                "AUTH-5",
                "Supabase refresh-token rotation on (`enable_refresh_token_rotation = true`)",
                config.path,
                config.line("auth.enable_refresh_token_rotation"),
            )


@detector("AUTH-1")
def supabase_auth(repo: RepoView) -> Iterator[Evidence]:
    """Supabase Auth enabled with a site URL and email confirmations required."""
    for config in _configs(repo):
        ps = profiles(config)
        if not all(
            p.get("auth.enabled") is not False
            and isinstance(p.get("auth.site_url"), str)
            and p.get("auth.email.enable_confirmations") is True
            for p in ps
        ):
            continue
        yield Evidence(
            "AUTH-1",
            "Supabase Auth configured: email sign-ups must be confirmed "
            "(`enable_confirmations = true`)",
            config.path,
            config.line("auth.email.enable_confirmations"),
        )
