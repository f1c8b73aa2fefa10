"""What a name in one module refers to in another, and whether a dependency authenticates.

The one resolver every FastAPI rule shares: `include_router` targets, `Annotated` aliases,
prefixes built from settings constants and the dependencies of dependencies are all followed
through it, across re-exports (`from .x import y` in a package), so two rules never disagree
about what a name means.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.core.vocabulary import RATE_LIMIT_LIBS
from analyzer.facts.fastapi.names import AUTH_WORDS, name_words
from analyzer.facts.fastapi.records import Dep, ModuleFacts, Text


@dataclass(frozen=True)
class Resolver:
    """The FastAPI facts of every module of the repository, by dotted module name."""

    modules: tuple[ModuleFacts, ...]
    by_name: dict[str, ModuleFacts]

    @functools.cached_property
    def _by_suffix(self) -> dict[str, list[ModuleFacts]]:
        """`b.c` -> the modules named `*.b.c`: resolving a reference is a lookup, not a scan."""
        out: dict[str, list[ModuleFacts]] = {}
        for name, mod in self.by_name.items():
            parts = name.split(".")
            for i in range(1, len(parts)):
                out.setdefault(".".join(parts[i:]), []).append(mod)
        return out

    def find_module(self, dotted: str, near: str = "") -> ModuleFacts | None:
        hit = self.by_name.get(dotted)
        if hit is not None:
            return hit
        cands = list(self._by_suffix.get(dotted, ()))
        if not cands:
            return None
        cands.sort(key=lambda m: -_common_prefix(m.path, near))
        return cands[0]

    def split(self, ref: str, near: str = "") -> tuple[ModuleFacts, str] | None:
        """`pkg.mod.obj.attr` -> (facts of pkg.mod, "obj.attr"), longest module first."""
        parts = ref.split(".")
        for i in range(len(parts) - 1, 0, -1):
            mod = self.find_module(".".join(parts[:i]), near)
            if mod is not None:
                return mod, ".".join(parts[i:])
        return None

    def resolve(self, ref: str, near: str = "", depth: int = 0) -> tuple[ModuleFacts, str] | None:
        """Follow re-exports (`from .x import y` in a package) to where a name is defined."""
        hit = self.split(ref, near)
        if hit is None or depth > 6:
            return hit
        mod, rest = hit
        head, _, tail = rest.partition(".")
        if head in mod.reexports and head not in mod.functions and head not in mod.instances:
            target = mod.reexports[head] + (f".{tail}" if tail else "")
            if target != ref:
                deeper = self.resolve(target, mod.path, depth + 1)
                if deeper is not None:
                    return deeper
        return hit

    def constant(self, ref: str, near: str = "") -> str | None:
        hit = self.resolve(ref, near)
        if hit is None:
            return None
        mod, rest = hit
        if rest in mod.constants:
            return mod.constants[rest]
        head, _, tail = rest.partition(".")
        cls = mod.instances.get(head)
        if cls and tail:
            cls_hit = self.resolve(cls, mod.path)
            if cls_hit is not None:
                cmod, cname = cls_hit
                return cmod.constants.get(f"{cname}.{tail}")
        return None

    def render(self, text: Text, near: str, loose: bool = False) -> str | None:
        """The text with constants filled in; None if one is unknown (`loose`: left out)."""
        if text is None:
            return "" if loose else None
        out = []
        for kind, value in text:
            if kind == "lit":
                out.append(value)
            else:
                c = self.constant(value, near)
                if c is None and not loose:
                    return None
                out.append(c or "")
        return "".join(out)

    def expand_deps(self, deps: Iterable[Dep], near: str) -> list[Dep]:
        """Aliases replaced by the dependencies they hold; other annotations dropped."""
        out: list[Dep] = []
        for d in deps:
            if not d.alias:
                out.append(d)
                continue
            if d.target is None:
                continue
            hit = self.resolve(d.target, near)
            if hit is not None and hit[1] in hit[0].aliases:
                out.extend(hit[0].aliases[hit[1]])
            elif (hit is None or "." in hit[1]) and self.is_local(d.target):
                # Defined in a module of this repository we could not parse: judge it by name.
                out.append(Dep(d.target, d.line))
        return out

    def is_local(self, ref: str) -> bool:
        """Whether `ref` names a module of this repository (parsed or not)."""
        return ref.split(".")[0] in self._name_parts

    @functools.cached_property
    def _name_parts(self) -> frozenset[str]:
        return frozenset(part for name in self.by_name for part in name.split("."))

    def is_auth(self, dep: Dep, near: str, depth: int = 0) -> bool:
        """Whether the dependency is known to authenticate the caller."""
        return self.auth_verdict(dep, near, depth) is True

    def auth_verdict(self, dep: Dep, near: str, depth: int = 0) -> bool | None:
        """True: it authenticates; False: it is known not to; None: it cannot be told.

        "Unknown is not violated": a dependency built by a factory, an instance of a class
        or a function this analysis cannot see, a name defined in a module it could not
        read, may well check a token, so a rule claiming "nothing authenticates" must stay
        quiet on it.
        """
        if dep.security:
            return True
        if dep.target is None:
            return None  # `Depends()`: the annotation's class is the dependency
        target = dep.target
        if target.endswith(("RequestForm", "RequestFormStrict")):
            return False  # the login form itself, not a credential check
        if target.startswith(
            (
                "fastapi.security",
                "fastapi_users",
                "fastapi_jwt_auth",
                "fastapi_azure_auth",
                "fastapi_auth0",
                "fastapi_cloudauth",
            )
        ):
            return True  # fmt: skip
        last = target.rsplit(".", 1)[-1].split("(")[0]
        if name_words(last) & AUTH_WORDS:
            return True
        if depth > 5:
            return None
        hit = self.resolve(target, near)
        if hit is None:
            return None if self.is_local(target) else _library_verdict(target)
        mod, rest = hit
        cls = mod.instances.get(rest)
        if cls is not None and (cls.startswith("fastapi.security") or _named_for_auth(cls)):
            return True
        info = mod.functions.get(rest) or (
            mod.functions.get(cls.rsplit(".", 1)[-1]) if cls else None
        )
        if info is None:
            return None  # a module variable, a re-export we could not follow
        if cls is not None and not info.is_class:
            return None  # built by a factory: what it returns is not what it is
        if info.auth_evidence or info.signature_evidence:
            return True
        verdicts = [
            self.auth_verdict(d, mod.path, depth + 1) for d in self.expand_deps(info.deps, mod.path)
        ]
        if True in verdicts:
            return True
        return None if None in verdicts else False

    def dep_has(self, dep: Dep, near: str, what: str, depth: int = 0) -> bool:
        """Whether a dependency (or one it depends on) shows `signature` or `ratelimit` evidence."""
        if dep.target is None or depth > 5:
            return False
        last = dep.target.rsplit(".", 1)[-1]
        words = name_words(last)
        if what == "ratelimit" and (
            dep.target.startswith(RATE_LIMIT_LIBS)
            or words & {"rate", "limiter", "throttle", "ratelimit", "ratelimiter"}
        ):
            return True
        if what == "signature" and (words & {"signature", "signed"} or "twilio" in words):
            hit = self.resolve(dep.target, near)
            if hit is None:
                return True  # named for it and defined outside the repository
        hit = self.resolve(dep.target, near)
        if hit is None:
            return False
        mod, rest = hit
        cls = mod.instances.get(rest)
        if what == "ratelimit" and cls and cls.startswith(RATE_LIMIT_LIBS):
            return True
        info = mod.functions.get(rest) or (
            mod.functions.get(cls.rsplit(".", 1)[-1]) if cls else None
        )
        if info is None:
            return False
        if (what == "signature" and info.signature_evidence) or (
            what == "ratelimit" and info.rate_limit_evidence
        ):
            return True
        return any(
            self.dep_has(d, mod.path, what, depth + 1)
            for d in self.expand_deps(info.deps, mod.path)
        )


# Dependencies from libraries that are known not to authenticate: what a route needs besides a
# caller (a database session, a request body, pagination). Any other library's is unknown.
_NOT_AUTH_LIBRARIES = (
    "sqlalchemy", "sqlmodel", "fastapi.Request", "fastapi.BackgroundTasks", "fastapi_pagination",
    "starlette.requests", "redis", "httpx", "aiohttp",
)  # fmt: skip


def _library_verdict(target: str) -> bool | None:
    return False if target.startswith(_NOT_AUTH_LIBRARIES) else None


def _named_for_auth(cls: str) -> bool:
    return bool(name_words(cls.rsplit(".", 1)[-1]) & AUTH_WORDS)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        n += 1
    return n
