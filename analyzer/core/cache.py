"""A content-addressed cache of per-file results, so a re-scan only redoes changed files.

An entry holds one file's `FileResult` (findings, parsed facts, inline
ignores), found by a key that hashes everything the result depends on: the
file's bytes and path, the rule set (catalog files, the analyzer's own source,
its version, the Python running it, the optional engines' versions, the rule
codes in effect) and the settings that change extraction. Change any of them
and the key changes: an entry is never stale, it is simply never asked for
again, and old entries are pruned oldest first once the folder outgrows its
bound.

Facts are pickled, and facts hold file content: a compose file's
`DB_PASSWORD: hunter2`, a hard-coded token in a module. So entries are
encrypted with a key derived from the file's own bytes (convergent
encryption): reading an entry back requires already having the file it came
from, and a backup or a grep of the cache folder reveals nothing the cache
holds. The same key authenticates the entry, so a torn, corrupted or foreign
entry is a miss and is never unpickled. `.env` files are cached like any other file: their
entries are as unreadable without the file, and re-reading them cost a warm re-scan the
import of detect-secrets.

Concurrent runs are safe: an entry is written to a temporary file in its
folder and renamed into place (atomic on POSIX and Windows), so a reader sees
a whole entry or none.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import importlib.metadata
import os
import pickle
import sys
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from analyzer.core.model import FileResult

LAYOUT = "v2"  # bump when the entry format changes: old entries become unreachable
DEFAULT_MAX_MB = 512
_MAGIC = b"PRDC1"
_TAG = 16  # bytes of authentication tag
# engines whose version changes what a file's rules find
_ENGINES = ("bandit", "detect-secrets", "semgrep", "PyYAML", "pathspec")

_disabled = False
# this process's lookups, for measurements and tests (a process pool's workers count their own)
STATS: Counter[str] = Counter()


def disable() -> None:
    """`--no-cache`: this process neither reads nor writes entries from now on."""
    global _disabled
    _disabled = True


def enabled() -> bool:
    return not _disabled and not os.environ.get("PRODREADY_NO_CACHE")


def directory() -> Path:
    """Where entries live, following each platform's convention for caches."""
    override = os.environ.get("PRODREADY_CACHE_DIR")
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        base = Path(local) if local else home / "AppData" / "Local"
        return base / "prodready" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "prodready"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".cache"
    return base / "prodready"


def max_bytes() -> int:
    raw = os.environ.get("PRODREADY_CACHE_MAX_MB", "")
    try:
        mb = int(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return max(1, mb) * 1024 * 1024


def prepare(folder: Path) -> Path | None:
    """The entry folder, created private (0700); None when it is unusable or not ours.

    Entries are unpickled, so a folder someone else can write to must not be
    trusted: it is then ignored, as is a folder that cannot be created.
    """
    entries = folder / LAYOUT
    try:
        if not folder.is_dir():
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir(mode=0o700, exist_ok=True)  # parents keep the user's umask
        entries.mkdir(mode=0o700, exist_ok=True)
        if hasattr(os, "getuid"):
            for d in (folder, entries):
                st = d.stat()
                if st.st_uid != os.getuid() or st.st_mode & 0o022:
                    return None
    except OSError:
        return None
    return entries


@functools.cache
def _code_digest() -> str:
    """The analyzer's own source, catalog and semgrep rules: any edit invalidates entries."""
    from analyzer.core import catalog

    package = Path(__file__).resolve().parent
    files = sorted(
        [*package.rglob("*.py"), *package.rglob("*.yaml"), *catalog.rules_dir().rglob("*.yaml")]
    )
    h = hashlib.sha256()
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        h.update(path.name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


@functools.cache
def _engine_versions() -> str:
    out = []
    for name in _ENGINES:
        try:
            out.append(f"{name}={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name}=absent")
    return ",".join(out)


def ruleset_version(codes: Iterable[str]) -> str:
    """What the rules are: tool version and code, engines, interpreter, codes in effect."""
    import analyzer

    parts = (
        analyzer.__version__,
        _code_digest(),
        _engine_versions(),
        sys.version,
        ",".join(sorted(codes)),
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Keying:
    """The parts of an entry's key shared by every file of a scan; picklable for workers.

    `full` keys a complete result (findings of the rules in effect); `facts`
    keys a parse-only result, which is all a pre-commit run needs of the
    files it was not asked about.
    """

    folder: str
    full: str
    facts: str


def keying(folder: Path, codes: Iterable[str], settings: Iterable[object]) -> Keying:
    config = hashlib.sha256(repr(tuple(settings)).encode()).hexdigest()
    return Keying(
        str(folder),
        hashlib.sha256(f"{ruleset_version(codes)}\0{config}".encode()).hexdigest(),
        hashlib.sha256(f"{ruleset_version(())}\0{config}\0facts".encode()).hexdigest(),
    )


def entry_key(salt: str, path: str, data: bytes) -> str:
    h = hashlib.sha256(salt.encode())
    h.update(b"\0" + path.encode("utf-8", "surrogateescape") + b"\0")
    h.update(data)
    return h.hexdigest()


def _secret(data: bytes, key: str) -> bytes:
    """Derived from the file's bytes: only someone holding the file can read its entry."""
    return hashlib.sha256(b"prodready-cache\0" + key.encode() + b"\0" + data).digest()


def _xor(payload: bytes, secret: bytes) -> bytes:
    stream = hashlib.shake_256(secret).digest(len(payload))
    n = len(payload)
    return (int.from_bytes(payload, "little") ^ int.from_bytes(stream, "little")).to_bytes(
        n, "little"
    )


def _path(folder: str, key: str, suffix: str = ".bin") -> str:
    """`.bin`: one file's result; `.memo`: an answer over many files (the judge's, semgrep's)."""
    return os.path.join(folder, key[:2], key + suffix)


@dataclass(frozen=True)
class Entry:
    """A cached file result whose facts are unpickled only if someone reads them.

    When every file's facts are unchanged, the judge's answer is reused and the facts of
    thousands of files are never needed: unpickling them was most of a warm re-scan.
    """

    shell: FileResult  # the result without its facts
    facts_blob: bytes
    digest: str

    @functools.cached_property
    def whole(self) -> FileResult:
        """Opened once: the judge and the evidence of a scan both read it."""
        return replace(self.shell, facts=pickle.loads(self.facts_blob))


def load(folder: str, key: str, data: bytes) -> FileResult | None:
    """The cached result, or None: absent, torn, corrupt or not written by us is a miss."""
    found = load_entry(folder, key, data)
    return found.whole if found is not None else None


def load_entry(folder: str, key: str, data: bytes) -> Entry | None:
    found = _load(folder, key, data, ".bin")
    if found is None:
        return None
    value, digest = found
    if not (isinstance(value, tuple) and len(value) == 2):
        return None
    shell, blob = value
    if not isinstance(shell, FileResult) or not isinstance(blob, bytes):
        return None
    return Entry(shell, blob, digest)


def load_value(folder: str, key: str, data: bytes) -> object | None:
    """A cached answer over several files (the judge's, an engine's hits), or None."""
    found = _load(folder, key, data, ".memo")
    return found[0] if found is not None else None


def digest(value: object) -> str | None:
    """What `value` pickles to, hashed: equal facts give equal digests, whatever the process.

    Records keep sets as sorted tuples for that reason. A digest that differs for equal
    values only costs a miss of the judge's memo, never a stale answer. None: unpicklable.
    """
    try:
        return _digest(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        return None


def _digest(plain: bytes) -> str:
    return hashlib.sha256(plain).hexdigest()


def _load(folder: str, key: str, data: bytes, suffix: str) -> tuple[object, str] | None:
    path = _path(folder, key, suffix)
    found = _read(path, key, data)
    prefix = "" if suffix == ".bin" else "memo-"
    STATS[prefix + ("hits" if found is not None else "misses")] += 1
    if found is None:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruned last
    return found


def _read(path: str, key: str, data: bytes) -> tuple[object, str] | None:
    try:
        with open(path, "rb") as fh:
            blob = fh.read()
    except OSError:
        return None
    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + _TAG:
        return None
    secret = _secret(data, key)
    tag, body = blob[len(_MAGIC) : len(_MAGIC) + _TAG], blob[len(_MAGIC) + _TAG :]
    if not hmac.compare_digest(tag, hmac.new(secret, body, "sha256").digest()[:_TAG]):
        return None
    try:
        plain = zlib.decompress(_xor(body, secret))
        result: object = pickle.loads(plain)
    except Exception:  # authenticated yet unreadable (a class renamed under us): a miss
        return None
    return result, _digest(plain)


def store(folder: str, key: str, data: bytes, result: FileResult) -> str | None:
    """Write the entry atomically; the result's digest, or None when nothing was written."""
    try:
        blob = pickle.dumps(result.facts, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # facts a check left unpicklable: just not cached
        return None
    return _store(folder, key, data, (replace(result, facts=None), blob), ".bin")


def store_value(folder: str, key: str, data: bytes, value: object) -> str | None:
    """Keep an answer over several files, encrypted with `data` (what it was made from)."""
    return _store(folder, key, data, value, ".memo")


def _store(folder: str, key: str, data: bytes, value: object, suffix: str) -> str | None:
    secret = _secret(data, key)
    try:
        plain = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # facts a check left unpicklable: just not cached
        return None
    body = _xor(zlib.compress(plain, 1), secret)
    blob = _MAGIC + hmac.new(secret, body, "sha256").digest()[:_TAG] + body
    target = _path(folder, key, suffix)
    tmp = None
    try:
        parent = os.path.dirname(target)
        os.makedirs(parent, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, target)
        STATS["writes" if suffix == ".bin" else "memo-writes"] += 1
        return _digest(plain)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return None


def prune(folder: str, limit: int | None = None) -> int:
    """Delete least recently used entries until the folder is within 80% of its bound.

    Returns how many entries were deleted. Another run may delete the same
    files at the same time; a file already gone is not an error.
    """
    limit = max_bytes() if limit is None else limit
    entries: list[tuple[float, int, str]] = []
    total = 0
    try:
        subdirs = list(os.scandir(folder))
    except OSError:
        return 0
    for sub in subdirs:
        if not sub.is_dir(follow_symlinks=False):
            continue
        try:
            for e in os.scandir(sub.path):
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                total += st.st_size
                entries.append((st.st_mtime, st.st_size, e.path))
        except OSError:
            continue
    if total <= limit:
        return 0
    removed = 0
    for _, size, path in sorted(entries):
        if total <= limit * 0.8:
            break
        try:
            os.unlink(path)
        except OSError:
            continue
        total -= size
        removed += 1
    return removed
