"""The application model of a repository: its apps, and every route as the app serves it.

Joins the modules' facts: resolves `include_router` targets and `Annotated` aliases across
files, computes every route's full path (app prefix + include prefixes + router prefix + route
path) and every dependency that applies to it (route, router, include and app level), so
"this route has no authentication" is judged on what FastAPI will really run, never on one
file alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.facts.fastapi.records import Dep, Include, ModuleFacts, Owner, Route
from analyzer.facts.fastapi.resolve import Resolver


@dataclass(frozen=True)
class FullRoute:
    route: Route
    module: ModuleFacts
    path: str | None  # full path; None when a part could not be resolved
    deps: tuple[Dep, ...]  # every dependency that applies: app, includes, router, route
    app: Owner | None  # None: the router is not included in any app we found
    middleware_auth: bool  # an app-level middleware authenticates every request
    dev_only: bool = False  # reached only through an include made in development
    loose_path: str = ""  # the path with unknown prefixes left out: for naming and exemptions


@dataclass(frozen=True)
class AppModel(Resolver):
    """Every route as FastAPI serves it: full path, every dependency, the app that serves it."""

    apps: tuple[tuple[ModuleFacts, Owner], ...]
    routes: tuple[FullRoute, ...]
    served: tuple[tuple[str, bool], ...]  # extra served paths: (path, is_prefix)
    unresolved_includes: bool  # some include_router target is dynamic or not found

    @staticmethod
    def build(modules: Iterable[ModuleFacts]) -> AppModel:
        return _build(tuple(modules))

    def app_libs(self) -> frozenset[str]:
        return frozenset(lib for m in self.modules if m.app_code for lib in m.libs)


def _build(modules: tuple[ModuleFacts, ...]) -> AppModel:
    by_name = {m.module: m for m in modules}
    resolver = Resolver(modules, by_name)
    owners: dict[str, tuple[ModuleFacts, Owner]] = {}
    for m in modules:
        for o in m.owners:
            owners[o.ref] = (m, o)

    def owner_of(ref: str, near: str) -> tuple[ModuleFacts, Owner] | None:
        if ref in owners:
            return owners[ref]
        hit = resolver.resolve(ref, near)
        if hit is None:
            return None
        mod, rest = hit
        for o in mod.owners:
            if o.var == rest:
                return mod, o
        return None

    children: dict[str, list[tuple[Include, ModuleFacts, Owner | None]]] = {}
    unresolved = False
    for m in modules:
        for inc in m.includes:
            child = owner_of(inc.target, m.path) if inc.target else None
            if child is None:
                unresolved = True
            parent = owner_of(inc.parent, m.path)
            key = parent[1].ref if parent else inc.parent
            children.setdefault(key, []).append((inc, m, child[1] if child else None))
    routes_by_owner: dict[str, list[tuple[ModuleFacts, Route]]] = {}
    for m in modules:
        for r in m.routes:
            found = owner_of(r.owner, m.path)
            routes_by_owner.setdefault(found[1].ref if found else r.owner, []).append((m, r))
    apps = tuple((m, o) for m, o in owners.values() if o.kind == "app")
    full: list[FullRoute] = []
    reached: set[str] = set()
    served: list[tuple[str, bool]] = []

    def add_routes(
        ref: str,
        base: str | None,
        deps: tuple[Dep, ...],
        app: Owner | None,
        mw_auth: bool,
        dev: bool,
        loose: str,
    ) -> None:
        """The routes declared on `ref`, under the prefix and dependencies that reach it."""
        for rmod, route in routes_by_owner.get(ref, []):
            rpath = resolver.render(route.path, rmod.path)
            full.append(
                FullRoute(
                    route,
                    rmod,
                    None if base is None or rpath is None else base + rpath,
                    deps + tuple(resolver.expand_deps(route.deps, rmod.path)),
                    app,
                    mw_auth,
                    dev,
                    loose + (resolver.render(route.path, rmod.path, True) or ""),
                )
            )

    def walk(
        ref: str,
        mod: ModuleFacts,
        prefix: str | None,
        deps: tuple[Dep, ...],
        app: Owner,
        mw_auth: bool,
        seen: frozenset[str],
        dev: bool = False,
        loose: str = "",
    ) -> None:
        if ref in seen:
            return
        reached.add(ref)
        node = owners.get(ref)
        own_prefix: str | None = ""
        own_deps: tuple[Dep, ...] = ()
        if node is not None:
            own_prefix = resolver.render(node[1].prefix, node[0].path)
            own_deps = tuple(resolver.expand_deps(node[1].deps, node[0].path))
        base = None if prefix is None or own_prefix is None else prefix + own_prefix
        loose_base = loose + (
            resolver.render(node[1].prefix, node[0].path, True) or "" if node else ""
        )
        all_deps = deps + own_deps
        add_routes(ref, base, all_deps, app, mw_auth, dev, loose_base)
        for m2 in modules:
            for mount in m2.mounts:
                found = owner_of(mount.owner, m2.path) if mount.owner else None
                if found is not None and found[1].ref == ref and base is not None:
                    p = resolver.render(mount.path, m2.path)
                    if p is not None:
                        served.append((base + p, mount.prefix))
        for inc, imod, child in children.get(ref, []):
            if child is None:
                continue
            p = resolver.render(inc.prefix, imod.path)
            walk(
                child.ref,
                imod,
                None if base is None or p is None else base + p,
                all_deps + tuple(resolver.expand_deps(inc.deps, imod.path)),
                app,
                mw_auth,
                seen | {ref},
                dev or inc.dev_only,
                loose_base + (resolver.render(inc.prefix, imod.path, True) or ""),
            )

    for mod, app in apps:
        mw_auth = any(
            mw.auth_evidence and (owner_of(mw.owner, m.path) or (None, None))[1] == app
            for m in modules
            for mw in m.middlewares
        )
        served.extend((p, False) for p in app.docs_paths)
        walk(app.ref, mod, "", (), app, mw_auth, frozenset())
    for ref in routes_by_owner:
        if ref in reached:
            continue
        node = owners.get(ref)
        prefix = resolver.render(node[1].prefix, node[0].path) if node else ""
        deps = tuple(resolver.expand_deps(node[1].deps, node[0].path)) if node else ()
        add_routes(ref, prefix, deps, None, False, False, prefix or "")
    return AppModel(modules, by_name, apps, tuple(full), tuple(served), unresolved)
