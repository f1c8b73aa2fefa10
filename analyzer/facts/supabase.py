"""What `supabase/config.toml` means for production: the profiles it configures, the
defaults Supabase applies, and which URLs are local.

The config rules and the checklist detectors share these readings so a limit both
judge is the same limit.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from analyzer.parsers.supabase_config import SupabaseConfig

MAX_JWT_EXPIRY = 3600  # the default; Supabase advises against raising it much

MAX_REUSE_INTERVAL = 10  # seconds; the default and the dashboard's recommendation

MIN_PASSWORD_LENGTH = 8  # config.toml template: "recommended 8 or more"

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".test", ".example")


@dataclass(frozen=True)
class Profile:
    config: SupabaseConfig
    prefix: str  # "" for the base configuration, "remotes.<name>." for a remote

    def key(self, dotted: str) -> str:
        """Where the value of `dotted` comes from: the remote block if it sets it."""
        if self.prefix and self.config.get(self.prefix + dotted) is not None:
            return self.prefix + dotted
        return dotted

    def get(self, dotted: str) -> Any:
        return self.config.get(self.key(dotted))

    def line(self, dotted: str) -> int | None:
        return self.config.line(self.key(dotted))

    @property
    def production(self) -> bool:
        site = self.get("auth.site_url")
        if not isinstance(site, str) or not site.strip():
            return False  # the CLI default is http://127.0.0.1:3000
        if site.strip().startswith("env("):
            return True
        return not is_local_url(site)


def profiles(config: SupabaseConfig) -> list[Profile]:
    out = [Profile(config, "")]
    remotes = config.get("remotes")
    if isinstance(remotes, dict):
        out.extend(Profile(config, f"remotes.{name}.") for name in remotes)
    return out


def is_local_url(url: str) -> bool:
    host = (urlsplit(url.strip()).hostname or "").lower().strip("[]")
    if not host or host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or "*" in host:
        return True
    if host in ("host.docker.internal", "0.0.0.0"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host  # a bare service name (`http://web:3000`) inside a network
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified
