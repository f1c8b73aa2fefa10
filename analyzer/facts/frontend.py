"""What the frontend ships: public environment prefixes, server-only secret names, and the
image assets visitors download.

Frontend rules and the checklist detectors must agree on what is public and what is shipped,
so both read it here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

# prefix -> the build tool that inlines such variables into the client bundle
PUBLIC_PREFIXES = {
    "VITE_": "Vite",
    "NEXT_PUBLIC_": "Next.js",
    "REACT_APP_": "Create React App",
    "EXPO_PUBLIC_": "Expo",
    "VUE_APP_": "Vue CLI",
    "GATSBY_": "Gatsby",
}

PUBLIC_NAME = re.compile(
    r"(?<![\w$])(?P<prefix>" + "|".join(PUBLIC_PREFIXES) + r")(?P<rest>[A-Za-z0-9_]+)"
)

# The end of a name that says "a server-side credential" (after the public prefix).
_SERVER_SECRET = re.compile(
    r"(?:^|_)(?:"
    r"(?:[A-Z0-9]+_)?SECRET(?:_ACCESS)?(?:_KEY|_TOKEN)?|CLIENT_SECRET|"
    r"SERVICE_?ROLE(?:_KEY|_JWT|_SECRET|_TOKEN)?|SERVICE_KEY|PRIVATE_KEY|"
    r"PASSWORD|PASSWD|(?:DB|DATABASE|SMTP|ADMIN|POSTGRES)_PASS|AUTH_TOKEN|"
    r"(?:DATABASE|DB|POSTGRES|POSTGRESQL|MONGO|MONGODB|REDIS)_(?:URL|URI)|CONNECTION_STRING|"
    r"(?:OPENAI|ANTHROPIC|SENDGRID|RESEND|MAILGUN|TWILIO|GROQ|MISTRAL)_API_KEY|"
    r"(?:STRIPE|TWILIO)_(?:SK|SECRET)"
    r")$",
    re.IGNORECASE,
)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp", ".tif", ".tiff")

IMAGE_LIMIT_BYTES = 300 * 1024

_ASSET_DIRS = frozenset({"src", "public", "assets", "static", "images", "img"})


def server_secret_name(name: str) -> str | None:
    """The public prefix of `name` when it names a server-side secret, else None."""
    m = PUBLIC_NAME.fullmatch(name)
    if not m or not _SERVER_SECRET.search(m.group("rest")):
        return None
    return m.group("prefix")


@dataclass(frozen=True)
class Asset:
    """A binary file of the repository and its size in bytes."""

    path: str
    size: int


def oversized_assets(assets: Iterable[Asset]) -> list[Asset]:
    """Images over the limit in a frontend's source, public or assets folder."""
    out = []
    for asset in assets:
        p = PurePosixPath(asset.path)
        if p.suffix.lower() not in IMAGE_SUFFIXES or asset.size <= IMAGE_LIMIT_BYTES:
            continue
        if _ASSET_DIRS.intersection(x.lower() for x in p.parts[:-1]):
            out.append(asset)
    return out
