"""What a secret looks like by name and by value, and how to show one safely.

Shared by every rule that finds a literal credential in configuration
(Dockerfile ENV/ARG, compose environment, Kubernetes env, .env files), so all
of them agree on what is a placeholder and all of them redact the same way.
"""

from __future__ import annotations

import re

_SECRET_NAME = re.compile(
    r"(?:^|[_.-])(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|auth[_-]?token|client[_-]?secret|credentials?|service[_-]?role[_-]?key|"
    r"signing[_-]?key|dsn|database[_-]?url|db[_-]?url|redis[_-]?url|jwt[_-]?secret)(?:$|[_.-])",
    re.IGNORECASE,
)
# Names that contain a secret word but hold no secret themselves.
_NOT_SECRET_NAME = re.compile(
    r"(?:_FILE|_PATH|_DIR|_NAME|_LENGTH|_ENABLED|_EXPIRY|_EXPIRES?|_TTL|_TYPE|_URL_PUBLIC|_HEADER|"
    r"_ID|_KEY_ID|_USER(?:NAME)?|_FIELD|_MIN|_MAX|_POLICY|_ROTATION|_ALGORITHM|_ALG|_ISSUER|_AUDIENCE)$",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"""^(?:
        \$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|<[^>]*>|%\([^)]*\)s|
        (?:change[-_ ]?(?:me|this|it)|replace[-_ ]?(?:me|this)|your[-_ ].*|example|dummy|placeholder|
         redacted|secret|password|todo|tbd|none|null|nil|test|testing|xxx+|\*+|\.\.\.|-+)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z]*(?:_[A-Z]+)+$")
_DB_URL_WITH_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@\s]+:([^@\s]+)@", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """True for variable names that conventionally hold credentials."""
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_NAME.search(name)


def is_placeholder(value: str) -> bool:
    """True for values that stand for a secret rather than being one.

    `${VAR}` and `${VAR:-default}` interpolations, template expressions,
    `<angle>` hints and the usual dummy words are references or examples; a
    value made of one repeated character is a mask.
    """
    v = value.strip().strip("'\"")
    if not v:
        return True
    if _PLACEHOLDER.match(v):
        return True
    if len(set(v)) == 1:
        return True
    if _CONSTANT_NAME.match(v):  # `GOOGLE_API_KEY_VAL`: a token that `sed` or a template replaces
        return True
    return "${" in v or "{{" in v


def url_password(value: str) -> str | None:
    """The password of a `scheme://user:password@host` URL, unless it is a placeholder."""
    m = _DB_URL_WITH_PASSWORD.match(value.strip())
    if not m or is_placeholder(m.group(1)):
        return None
    host = value.strip()[m.end() :].split("/")[0].split(":")[0].strip("[]").lower()
    if host in _LOCAL_HOSTS:  # a developer default that only opens a database on one's own machine
        return None
    return m.group(1)


def redact(value: str) -> str:
    """At most the first 4 characters and the length: enough to find it, never enough to use it."""
    v = value.strip()
    shown = v[:4] if len(v) >= 12 else v[:1] if len(v) >= 6 else ""
    return f"{shown}… ({len(v)} chars)"


_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_FILE_PATH = re.compile(r"^(?:/|\./|\.\./|~/)[\w./@-]*$")
_NOT_A_SECRET_VALUE = re.compile(
    r"^(?:true|false|yes|no|on|off|\d{1,6}|[a-z]+://[^:@\s]+(?::\d+)?(?:/\S*)?)$", re.I
)


def literal_secret(name: str, value: object) -> str | None:
    """The secret inside a `name=value` setting, or None when there is none.

    A connection URL counts only for its embedded password, whatever its
    name; otherwise the name must look like a credential and the value must
    be a literal that is neither a placeholder nor a flag or small number.
    """
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    password = url_password(text)
    if password is not None:
        return password
    if _URL.match(text):  # a connection URL without a password names a server, not a secret
        return None
    if not is_secret_name(name) or is_placeholder(text) or _NOT_A_SECRET_VALUE.match(text):
        return None
    if _FILE_PATH.match(text):  # `DB_PASSWORD: /run/secrets/db` points at a secret; it is not one
        return None
    return text
