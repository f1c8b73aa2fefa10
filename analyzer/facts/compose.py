"""Compose services as Docker Compose resolves them (`extends:`, overlays in the same folder,
merge keys, interpolation) and what each says about limits, health, logging and ports.

Every rule and detector that reads a service reads this resolution, so an overlay that sets
a limit counts wherever limits are asked about.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from analyzer.parsers.yamlfile import YamlFile, dig
from analyzer.parsers.yamlmarks import Mark, YamlMap, YamlSeq

UNKNOWN = "\x00"  # stands for an interpolated value we cannot know

INTERPOLATION = re.compile(
    r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)"
)

ALL_INTERFACES = {"", "0.0.0.0", "::", "[::]"}

LOOPBACK = re.compile(r"^(?:127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$", re.IGNORECASE)

CPU_KEYS = ("cpus", "cpu_quota", "cpu_count", "cpu_percent", "cpuset")


@dataclass(frozen=True)
class Service:
    """One service of one compose file, with `extends:` (same file) already applied."""

    name: str
    data: YamlMap
    mark: Mark  # where the service's name key stands
    path: str
    services_mark: Mark  # where the file's `services:` key stands
    extends_elsewhere: bool = False  # `extends: {file: ...}`: its base is out of sight

    @property
    def complete(self) -> bool:
        """A full definition; a service with neither image nor build overlays another file's."""
        return "image" in self.data or "build" in self.data

    @property
    def judged_on_missing(self) -> bool:
        return self.complete and not self.extends_elsewhere


def services_of(yf: YamlFile) -> list[Service]:
    out: list[Service] = []
    for _, doc in yf.mappings():
        services = doc.get("services")
        if not isinstance(services, YamlMap):
            continue
        smark = doc.key_mark("services")
        for name, data in services.items():
            if not isinstance(data, YamlMap):
                continue
            merged, elsewhere = apply_extends(name, services)
            out.append(
                Service(str(name), merged, services.key_mark(name), yf.path, smark, elsewhere)
            )
    return out


def apply_extends(name: Any, services: YamlMap) -> tuple[YamlMap, bool]:
    """The service with its same-file `extends:` chain merged in (own keys win)."""
    data: YamlMap = services[name]
    seen: set[Any] = {name}
    current = data
    result = data
    while True:
        ext = current.get("extends")
        if ext is None:
            return result, False
        base_name = ext if isinstance(ext, str) else dig(ext, "service")
        if isinstance(ext, dict) and ext.get("file") is not None:
            return result, True
        base = services.get(base_name) if isinstance(base_name, str) else None
        if not isinstance(base, YamlMap) or base_name in seen:
            return result, False
        seen.add(base_name)
        result = overlay_service(base, result)
        current = base


def overlay_service(base: YamlMap, own: YamlMap) -> YamlMap:
    """`own` over `base`, mappings merged key by key as Compose merges `extends`."""
    out = YamlMap()
    out.mark = own.mark
    for source in (own, base):
        for key, value in source.items():
            if key in out:
                if isinstance(out[key], YamlMap) and isinstance(value, YamlMap):
                    out[key] = overlay_service(value, out[key])
                continue
            out[key] = value
            out.key_marks[key] = source.key_mark(key)
            out.value_marks[key] = source.value_mark(key)
    return out


def interpolate(text: str) -> str:
    """`${VAR:-default}` -> default; other interpolations -> UNKNOWN; `$$` -> `$`."""

    def sub(m: re.Match[str]) -> str:
        op, default = m.group(2), m.group(3)
        if op in (":-", "-"):
            return default or ""
        return UNKNOWN

    parts = text.split("$$")
    return "$".join(INTERPOLATION.sub(sub, p) for p in parts)


def is_truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_set(value: Any) -> bool:
    """A limit that is present and not 0 (Docker reads 0 as 'no limit')."""
    if value is None or value is False:
        return False
    return str(value).strip() not in ("", "0", "0.0")


def as_words(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def env_items(env: Any) -> Iterator[tuple[str, Any, Mark]]:
    """(name, value, mark of the value) of an `environment`/`args` block, both syntaxes.

    `- NAME` without `=` passes the host's value through: it has no value here.
    """
    if isinstance(env, YamlMap):
        for key, value in env.items():
            yield str(key), value, env.value_mark(key)
    elif isinstance(env, YamlSeq):
        for i, item in enumerate(env):
            if isinstance(item, str) and "=" in item:
                key, _, value = item.partition("=")
                yield key.strip(), value, env.item_mark(i)


def env_names(env: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(env, YamlSeq):
        for item in env:
            key, _, value = str(item).partition("=")
            out[key.strip()] = value
    elif isinstance(env, YamlMap):
        out = {str(k): "" if v is None else str(v) for k, v in env.items()}
    return out


def memory_limited(data: YamlMap) -> bool:
    return is_set(data.get("mem_limit")) or is_set(
        dig(data, "deploy", "resources", "limits", "memory")
    )


def cpu_limited(data: YamlMap) -> bool:
    return any(is_set(data.get(k)) for k in CPU_KEYS) or is_set(
        dig(data, "deploy", "resources", "limits", "cpus")
    )


def one_shot(data: YamlMap) -> bool:
    """`restart: "no"` (or `no`, which YAML reads as false) says: run once and stay down."""
    restart = data.get("restart")
    if restart is False or (isinstance(restart, str) and restart.strip().lower() == "no"):
        return True
    condition = dig(data, "deploy", "restart_policy", "condition")
    return isinstance(condition, str) and condition.strip().lower() == "none"


def has_restart_policy(data: YamlMap) -> bool:
    return (
        data.get("restart") not in (None, "") or dig(data, "deploy", "restart_policy") is not None
    )


def healthcheck_state(data: YamlMap) -> str:
    """'absent', 'disabled' (disable: true or test NONE) or 'set'."""
    if "healthcheck" not in data or data.get("healthcheck") is None:
        return "absent"
    hc = data["healthcheck"]
    if not isinstance(hc, dict):
        return "set"
    if is_truthy(hc.get("disable")):
        return "disabled"
    test = hc.get("test")
    first = test[0] if isinstance(test, list) and test else test
    if isinstance(first, str) and first.strip().upper() == "NONE":
        return "disabled"
    return "set"


def logging_state(data: YamlMap) -> str:
    """'absent', 'unrotated' (json-file without max-size), 'rotated' or 'other'.

    `local` rotates by default (20 MB x 5), remote drivers ship logs away,
    `none` keeps nothing: only json-file, Docker's default, grows forever.
    """
    logging = data.get("logging")
    if not isinstance(logging, dict):
        return "absent"
    driver = interpolate(str(logging.get("driver") or "json-file")).strip().lower()
    if UNKNOWN in driver:
        return "other"
    if driver == "none":
        return "other"
    if driver != "json-file":
        return "rotated"
    size = dig(logging, "options", "max-size")
    return "rotated" if size is not None and str(size).strip() not in ("", "-1") else "unrotated"


@dataclass(frozen=True)
class Publication:
    host_ip: str | None  # None: every interface
    container: tuple[int, ...]  # container ports (empty when set by a variable)
    text: str


def publication(entry: Any) -> Publication | None:
    """What one `ports:` entry publishes; short syntax `[IP:][HOST:]CONTAINER[/proto]` or long."""
    if isinstance(entry, dict):
        host_ip = entry.get("host_ip")
        target = entry.get("target")
        return Publication(
            None if host_ip is None else interpolate(str(host_ip)).strip(),
            port_range(str(target)) if target is not None else (),
            f"target: {target}",
        )
    if not isinstance(entry, (str, int)) or isinstance(entry, bool):
        return None
    text = str(entry).strip()
    spec = interpolate(text).split("/", 1)[0]
    ip: str | None = None
    if spec.startswith("["):
        end = spec.find("]")
        ip, spec = spec[1:end], spec[end + 2 :]
    parts = spec.rsplit(":", 2)
    if len(parts) == 3:
        ip = parts[0]
    return Publication(ip, port_range(parts[-1]), text)


def port_range(text: str) -> tuple[int, ...]:
    lo, _, hi = text.strip().partition("-")
    try:
        first, last = int(lo), int(hi or lo)
    except ValueError:
        return ()
    return tuple(range(first, min(last, first + 1000) + 1))


def on_all_interfaces(pub: Publication) -> bool:
    return pub.host_ip is None or pub.host_ip.strip() in ALL_INTERFACES
