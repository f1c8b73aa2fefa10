"""supabase/config.toml rules (SUPA001..SUPA006).

The file configures the local stack and, through `supabase config push` and
`[remotes.<name>]` blocks, hosted projects. The local defaults written by
`supabase init` (site_url http://127.0.0.1:3000, email confirmations off,
6-character passwords) are right for a laptop, so the rules that judge them
only speak when the configuration looks like production: its `site_url` is
a non-local host or an `env(...)` reference filled in at deploy time. Token
lifetimes and rotation have safe defaults, so changing them is judged always.

Each `[remotes.<name>]` block is a profile of its own: its keys override the
base ones, and a finding points at the key that sets the value (in the
remote block or in the base tables), once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from analyzer.checks.registry import file_check
from analyzer.core.model import Finding
from analyzer.facts.supabase import (
    MAX_JWT_EXPIRY,
    MAX_REUSE_INTERVAL,
    MIN_PASSWORD_LENGTH,
    Profile,
    is_local_url,
    profiles,
)
from analyzer.parsers.supabase_config import SupabaseConfig

KIND = "supabase-config"


class _Emitter:
    """Collects findings once per (code, key path): remotes inherit base values."""

    def __init__(self, config: SupabaseConfig) -> None:
        self.config = config
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, code: str, profile: Profile, dotted: str, message: str) -> Iterator[Finding]:
        key = profile.key(dotted)
        if (code, key) in self.seen:
            return
        self.seen.add((code, key))
        where = f" ({profile.prefix.rstrip('.')})" if key.startswith("remotes.") else ""
        yield Finding(
            code,
            self.config.path,
            message + where,
            line=profile.line(dotted),
            anchor=f"{code.lower()}:{key}",
        )


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@file_check(KIND, "SUPA001", "SUPA002", "SUPA003")
def token_lifetimes(config: SupabaseConfig) -> Iterator[Finding]:
    emit = _Emitter(config)
    for p in profiles(config):
        expiry = _number(p.get("auth.jwt_expiry"))
        if expiry is not None and expiry > MAX_JWT_EXPIRY:
            yield from emit(
                "SUPA001",
                p,
                "auth.jwt_expiry",
                f"`jwt_expiry = {expiry}`: access tokens stay valid for {_duration(expiry)}, "
                "and a leaked one cannot be revoked before it expires (keep 3600 or less).",
            )
        rotation = p.get("auth.enable_refresh_token_rotation")
        if rotation is False:
            yield from emit(
                "SUPA002",
                p,
                "auth.enable_refresh_token_rotation",
                "`enable_refresh_token_rotation = false`: a refresh token never expires, so a "
                "stolen one gives access for as long as the attacker likes.",
            )
        reuse = _number(p.get("auth.refresh_token_reuse_interval"))
        if rotation is not False and reuse is not None and reuse > MAX_REUSE_INTERVAL:
            yield from emit(
                "SUPA003",
                p,
                "auth.refresh_token_reuse_interval",
                f"`refresh_token_reuse_interval = {reuse}`: a used refresh token can be replayed "
                f"for {_duration(reuse)} after rotation (keep {MAX_REUSE_INTERVAL} s or less).",
            )


@file_check(KIND, "SUPA004", "SUPA006")
def production_auth(config: SupabaseConfig) -> Iterator[Finding]:
    emit = _Emitter(config)
    for p in profiles(config):
        if not p.production or p.get("auth.enabled") is False:
            continue
        signup = False not in (p.get("auth.enable_signup"), p.get("auth.email.enable_signup"))
        if signup and p.get("auth.email.enable_confirmations") is False:
            yield from emit(
                "SUPA004",
                p,
                "auth.email.enable_confirmations",
                "`enable_confirmations = false` with a production site_url: anyone can "
                "sign up with an address they do not own.",
            )
        length = _number(p.get("auth.minimum_password_length"))
        if length is not None and length < MIN_PASSWORD_LENGTH:
            yield from emit(
                "SUPA006",
                p,
                "auth.minimum_password_length",
                f"`minimum_password_length = {length}` with a production site_url: passwords "
                f"this short fall to online guessing (use {MIN_PASSWORD_LENGTH} or more).",
            )


@file_check(KIND, "SUPA005")
def insecure_redirects(config: SupabaseConfig) -> Iterator[Finding]:
    emit = _Emitter(config)
    for p in profiles(config):
        for key in ("auth.site_url", "auth.additional_redirect_urls"):
            value = p.get(key)
            urls = value if isinstance(value, list) else [value]
            bad = [
                u for u in urls if isinstance(u, str) and u.strip().lower().startswith("http://")
            ]
            bad = [u for u in bad if not is_local_url(u)]
            if bad:
                hosts = ", ".join(sorted({urlsplit(u.strip()).hostname or u for u in bad}))
                yield from emit(
                    "SUPA005",
                    p,
                    key,
                    f"`{key.rpartition('.')[2]}` sends users to {hosts} over plain http://: "
                    "login links and tokens in the redirect travel unencrypted.",
                )


def _duration(seconds: int) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if (seconds >= size and seconds % size == 0) or seconds >= 2 * size:
            value = seconds / size
            return f"{value:g} {unit}" if value != 1 else f"1 {unit[:-1]}"
    return f"{seconds} seconds"
