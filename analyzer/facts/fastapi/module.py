"""The FastAPI facts of one module: what its `ast` tree declares, read in one pass of the tree.

Apps, routers, routes with their dependencies and query parameters, `include_router` calls,
mounts, middlewares, exception handlers, security headers and the libraries that give metrics,
tracing or rate limiting. Names stay unresolved (a dependency is the qualified name of what
`Depends(...)` received), because what they name often lives in another module.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator

from analyzer.core.vocabulary import HTTP_METHODS, RATE_LIMIT_LIBS
from analyzer.facts.fastapi import bodies
from analyzer.facts.fastapi import signatures as sig
from analyzer.facts.fastapi.capabilities import capabilities, is_request_id
from analyzer.facts.fastapi.names import (
    APP_CLASSES,
    AUTH_MIDDLEWARE,
    CODE_SECURITY_HEADERS,
    CORS,
    REQUEST_ID_LIBS,
    ROUTER_CLASSES,
)
from analyzer.facts.fastapi.records import (
    Dep,
    FunctionInfo,
    Include,
    Middleware,
    ModuleFacts,
    Mount,
    Owner,
    Route,
)
from analyzer.facts.fastapi.scope import Scope, list_items
from analyzer.parsers import pynodes as nodes
from analyzer.parsers.python import PyModule

# A call named for checking the caller: `verify_inbound_signature`, `_verify_vobiz_callback`,
# `validate_twilio_request`, `check_webhook_signature`, `verify_slack_request`.
_VERIFIER = re.compile(
    r"(?:^|[._])_?(?:verify|validate|check)_\w*(?:signature|signed|webhook|callback|request|"
    r"secret|token|hmac)\w*$",
    re.IGNORECASE,
)

_DEV_TEST = re.compile(r"environment|\benv\b|_env\b|\bdebug\b|\blocal\b|development|\bdev\b", re.I)
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")


# File rules registered for this kind read a Python module's `ModuleFacts`, not its tree.
FACTS_KIND = "python:fastapi"


def module_facts(mod: PyModule) -> ModuleFacts:
    """The FastAPI facts of one module, computed from its tree.

    Kept nowhere: the pipeline computes them once per module and hands the same record to
    the file rules of FACTS_KIND and to the module's summary.
    """
    return _Extractor(mod).run()


class _Extractor:
    """One run over one module.

    Apps and routers are collected first: a route, an include or a middleware names the app
    or router it belongs to.
    """

    def __init__(self, mod: PyModule) -> None:
        self.mod = mod
        self.scope = Scope(mod)
        self.imports = mod.imports
        self.owners: dict[str, Owner] = {}
        self.instances: dict[str, str] = {}
        self.constants: dict[str, str] = {}
        self.aliases: dict[str, tuple[Dep, ...]] = {}
        self.dev_calls = _dev_calls(mod.nodes)

    # main ------------------------------------------------------------------

    def run(self) -> ModuleFacts:
        tree = self.mod.tree
        ix = self.mod.nodes
        self._constants_and_instances(tree)
        for assign in nodes.in_walk_order(ix, ast.Assign, ast.AnnAssign):
            if isinstance(assign, (ast.Assign, ast.AnnAssign)) and isinstance(
                assign.value, ast.Call
            ):
                self._owner(assign, assign.value)
        functions = {
            f.name: self._function_info(f)
            for f in nodes.in_walk_order(ix, ast.FunctionDef, ast.AsyncFunctionDef)
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        for cls in nodes.of_type(ix, ast.ClassDef):
            functions.setdefault(cls.name, self._class_info(cls))
        routes: list[Route] = []
        includes: list[Include] = []
        middlewares: list[Middleware] = []
        mounts: list[Mount] = []
        handlers: list[int] = []
        found: list[ast.AST] = nodes.in_walk_order(
            ix, ast.FunctionDef, ast.AsyncFunctionDef, ast.Call
        )
        for node in found:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.decorator_list:
                    routes.extend(self._decorated_routes(node))
                    middlewares.extend(self._decorated_middleware(node))
                    handlers.extend(self._decorated_handlers(node))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                self._method_call(node, functions, routes, includes, middlewares, mounts, handlers)
        handlers.extend(o.line for o in self.owners.values() if o.exception_handlers)
        libs, headers = capabilities(self.scope, functions, middlewares, self.owners.values())
        return ModuleFacts(
            path=self.mod.path,
            module=self.mod.module,
            app_code=self.mod.is_app_code,
            owners=tuple(self.owners.values()),
            routes=tuple(routes),
            includes=tuple(includes),
            middlewares=tuple(middlewares),
            mounts=tuple(mounts),
            exception_handlers=tuple(handlers),
            functions=functions,
            aliases=self.aliases,
            instances=self.instances,
            constants=self.constants,
            reexports=dict(self.imports),
            libs=tuple(sorted(libs)),
            header_names=tuple(sorted(headers)),
        )

    def _constants_and_instances(self, tree: ast.Module) -> None:
        for node in tree.body:
            self._assignment(node, "")
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    self._assignment(item, node.name + ".")
        # Annotated aliases may also be declared in functions
        for found in nodes.in_walk_order(self.mod.nodes, ast.Assign, ast.AnnAssign):
            if isinstance(found, (ast.Assign, ast.AnnAssign)) and found.value is not None:
                target = found.targets[0] if isinstance(found, ast.Assign) else found.target
                if isinstance(target, ast.Name):
                    deps = sig.annotated_deps(self.scope, found.value)
                    if deps:
                        self.aliases[target.id] = deps

    def _assignment(self, node: ast.stmt, prefix: str) -> None:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            return
        if not isinstance(target, ast.Name):
            return
        name = prefix + target.id
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            self.constants[name] = value.value
        elif isinstance(value, ast.Call):
            called = self.scope.ref(value.func)
            if called:
                self.instances[name] = called

    # apps and routers ------------------------------------------------------

    def _owner(self, node: ast.Assign | ast.AnnAssign, call: ast.Call) -> None:
        cls = self.scope.qn(call.func)
        if cls not in APP_CLASSES and cls not in ROUTER_CLASSES:
            return
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if not isinstance(target, ast.Name):
            return
        kind = "app" if cls in APP_CLASSES else "router"
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        debug = kw.get("debug")
        docs: list[str] = []
        if kind == "app" and cls != "starlette.applications.Starlette":
            for key, default in (
                ("docs_url", "/docs"),
                ("redoc_url", "/redoc"),
                ("openapi_url", "/openapi.json"),
            ):
                value = kw.get(key)
                if value is None:
                    docs.append(default)
                elif isinstance(value, ast.Constant) and isinstance(value.value, str):
                    docs.append(value.value)
        middleware_refs = tuple(
            r
            for m in list_items(kw.get("middleware"))
            if isinstance(m, ast.Call) and m.args
            for r in [self.scope.qn(m.args[0])]
            if r
        )
        ref = self.scope.ref(target) or target.id
        self.owners[target.id] = Owner(
            ref=ref,
            var=target.id,
            kind=kind,
            prefix=self.scope.text(kw["prefix"]) if "prefix" in kw else (),
            deps=sig.dep_list(self.scope, kw.get("dependencies")),
            line=call.lineno,
            column=call.col_offset + 1,
            debug_true=(debug.lineno, debug.col_offset + 1)
            if isinstance(debug, ast.Constant) and debug.value is True
            else None,
            docs_paths=tuple(docs),
            exception_handlers="exception_handlers" in kw,
            middleware_refs=middleware_refs,
        )

    def owner_ref(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name) and node.id in self.owners:
            return self.owners[node.id].ref
        return self.scope.ref(node)

    # functions ---------------------------------------------------------------

    def _function_info(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionInfo:
        deps, _ = sig.signature(self.scope, fn)
        auth, signature, limit = self._body_evidence(fn)
        return FunctionInfo(fn.name, fn.lineno, tuple(deps), auth, signature, limit)

    def _class_info(self, cls: ast.ClassDef) -> FunctionInfo:
        """A class used as a dependency: its __init__/__call__ signatures and bodies."""
        deps: list[Dep] = []
        auth = signature = limit = False
        for item in cls.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in (
                "__init__",
                "__call__",
            ):
                d, _ = sig.signature(self.scope, item)
                deps.extend(d)
                a, s, r = self._body_evidence(item)
                auth, signature, limit = auth or a, signature or s, limit or r
        bases = {self.scope.qn(b) for b in cls.bases}
        if any(b.startswith("fastapi.security") for b in bases):
            auth = True
        return FunctionInfo(cls.name, cls.lineno, tuple(deps), auth, signature, limit, True)

    def _body_evidence(self, fn: ast.AST) -> tuple[bool, bool, bool]:
        """(auth, signature, rate limit) evidence anywhere in the function, nested ones included,
        and in the module's own functions it calls (two levels): a handler that starts with
        `_verify_vobiz_callback(request)` checks its caller as surely as one that inlines it.
        A call named for verifying a signature (`provider.verify_inbound_signature(...)`)
        counts as the check it says it is."""
        auth, signature, limit = self._evidence.get(id(fn), (False, False, False))
        for depth_fn in self._called_helpers(fn):
            a, s_, _ = self._evidence.get(id(depth_fn), (False, False, False))
            auth, signature = auth or a, signature or s_
        if not signature and any(_VERIFIER.search(name) for name in bodies.called_names(fn)):
            signature = True
        return auth, signature, limit

    def _called_helpers(self, fn: ast.AST) -> list[ast.AST]:
        seen: list[ast.AST] = []
        frontier = [fn]
        for _ in range(2):
            nxt = []
            for f in frontier:
                for name in bodies.called_names(f):
                    helper = self._functions.get(name.rsplit(".", 1)[-1])
                    if helper is not None and helper is not fn and helper not in seen:
                        seen.append(helper)
                        nxt.append(helper)
            frontier = nxt
        return seen

    @functools.cached_property
    def _functions(self) -> dict[str, ast.AST]:
        return {
            n.name: n
            for n in [
                *self.scope.mod.nodes.by_type.get(ast.FunctionDef, ()),
                *self.scope.mod.nodes.by_type.get(ast.AsyncFunctionDef, ()),
            ]
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        }

    @functools.cached_property
    def _evidence(self) -> dict[int, tuple[bool, bool, bool]]:
        return bodies.evidence_by_function(self.scope)

    @functools.cached_property
    def _may_be_telephony(self) -> bool:
        return bodies.may_be_telephony(self.scope)

    # routes ----------------------------------------------------------------

    def _decorated_routes(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[Route]:
        limited = any(_is_limit_decorator(d, self.scope) for d in fn.decorator_list)
        for dec in fn.decorator_list:
            if not isinstance(dec, ast.Call) or not isinstance(dec.func, ast.Attribute):
                continue
            method = dec.func.attr
            if method not in HTTP_METHODS and method not in ("api_route", "route"):
                continue
            owner = self.owner_ref(dec.func.value)
            if owner is None or not self._looks_like_owner(dec.func.value):
                continue
            kw = {k.arg: k.value for k in dec.keywords if k.arg}
            path_node = dec.args[0] if dec.args else kw.get("path")
            if method in HTTP_METHODS:
                methods: tuple[str, ...] = (method.upper(),)
            else:
                methods = tuple(
                    str(m.value).upper()
                    for m in list_items(kw.get("methods"))
                    if isinstance(m, ast.Constant)
                ) or ("GET",)
            yield self._route(fn, owner, methods, path_node, kw, limited)

    def _looks_like_owner(self, node: ast.AST) -> bool:
        """`@router.get` on an app/router, not `@cache.get` or `@some_dict.get`."""
        if isinstance(node, ast.Name) and node.id in self.owners:
            return True
        q = self.scope.qn(node)
        if q.split(".")[0] in self.imports:
            return True  # a router imported from another module
        return bool(re.search(r"(?:^|[._])(?:app|api|router|routes|application)\w*$", q, re.I))

    def _route(
        self,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        owner: str,
        methods: tuple[str, ...],
        path_node: ast.AST | None,
        kw: dict[str, ast.expr],
        limited: bool,
    ) -> Route:
        deps, params = sig.signature(self.scope, fn)
        path = self.scope.text(path_node) if path_node is not None else (("lit", ""),)
        literal = "".join(v for k, v in path or () if k == "lit")
        path_names = set(_PATH_PARAM.findall(literal))
        params = [p for p in params if p.name not in path_names]
        auth, signature, limit = self._body_evidence(fn)
        response_model = kw.get("response_model")
        rm = ast.unparse(response_model) if response_model is not None else ""
        if not rm and fn.returns is not None:
            rm = ast.unparse(fn.returns)
        return Route(
            owner=owner,
            methods=methods,
            path=path,
            function=fn.name,
            line=fn.lineno,
            column=fn.col_offset + 1,
            deps=(*sig.dep_list(self.scope, kw.get("dependencies")), *deps),
            params=tuple(params),
            response_model=rm,
            whole_table=bodies.whole_table(fn),
            rate_limited=limited or limit,
            auth_evidence=auth,
            signature_evidence=signature,
            telephony="twilio" in literal.lower()
            or (self._may_be_telephony and bodies.answers_telephony(self.scope, fn)),
        )

    def _decorated_middleware(
        self, fn: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> Iterator[Middleware]:
        for dec in fn.decorator_list:
            if (
                isinstance(dec, ast.Call)
                and isinstance(dec.func, ast.Attribute)
                and dec.func.attr == "middleware"
                and self._looks_like_owner(dec.func.value)
            ):
                owner = self.owner_ref(dec.func.value) or ""
                auth, _, _ = self._body_evidence(fn)
                strings = bodies.strings(fn)
                yield Middleware(
                    owner,
                    "http",
                    fn.lineno,
                    fn.col_offset + 1,
                    auth_evidence=auth,
                    request_id=any(is_request_id(s) for s in strings),
                    sets_security_headers=bool(strings & CODE_SECURITY_HEADERS),
                )

    def _decorated_handlers(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[int]:
        for dec in fn.decorator_list:
            if (
                isinstance(dec, ast.Call)
                and isinstance(dec.func, ast.Attribute)
                and dec.func.attr == "exception_handler"
            ):
                yield dec.lineno

    def _method_call(
        self,
        node: ast.Call,
        functions: dict[str, FunctionInfo],
        routes: list[Route],
        includes: list[Include],
        middlewares: list[Middleware],
        mounts: list[Mount],
        handlers: list[int],
    ) -> None:
        assert isinstance(node.func, ast.Attribute)
        attr = node.func.attr
        obj = node.func.value
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        if attr == "include_router" and self._looks_like_owner(obj):
            target_node = node.args[0] if node.args else kw.get("router")
            target = None
            if isinstance(target_node, (ast.Name, ast.Attribute)):
                target = self.owner_ref(target_node)
            includes.append(
                Include(
                    parent=self.owner_ref(obj) or "",
                    target=target,
                    prefix=self.scope.text(kw["prefix"]) if "prefix" in kw else (),
                    deps=sig.dep_list(self.scope, kw.get("dependencies")),
                    line=node.lineno,
                    dev_only=id(node) in self.dev_calls,
                )
            )
        elif attr == "add_middleware" and node.args:
            cls = self.scope.qn(node.args[0])
            middlewares.append(
                Middleware(
                    self.owner_ref(obj) or "",
                    cls,
                    node.lineno,
                    node.col_offset + 1,
                    cors_wildcard_credentials=cls in CORS and _cors_wildcard(kw),
                    auth_evidence=cls in AUTH_MIDDLEWARE,
                    request_id=cls.startswith(REQUEST_ID_LIBS) or is_request_id(cls),
                )
            )
        elif attr == "add_exception_handler":
            handlers.append(node.lineno)
        elif attr in ("mount", "add_route", "add_api_route", "add_websocket_route") and node.args:
            path = self.scope.text(node.args[0])
            owner = self.owner_ref(obj) or ""
            if attr == "add_api_route":
                endpoint = node.args[1] if len(node.args) > 1 else kw.get("endpoint")
                info = functions.get(endpoint.id) if isinstance(endpoint, ast.Name) else None
                methods = tuple(
                    str(m.value).upper()
                    for m in list_items(kw.get("methods"))
                    if isinstance(m, ast.Constant)
                ) or ("GET",)
                routes.append(
                    Route(
                        owner, methods, path, info.name if info else "?", node.lineno,
                        node.col_offset + 1, (*sig.dep_list(self.scope, kw.get("dependencies")),
                                              *(info.deps if info else ())),
                        (), "", None, bool(info and info.rate_limit_evidence),
                        bool(info and info.auth_evidence),
                        bool(info and info.signature_evidence), False,
                    )
                )  # fmt: skip
            else:
                mounts.append(Mount(owner, path, prefix=attr == "mount"))
        elif attr == "expose" and "Instrumentator" in ast.unparse(obj):
            endpoint = kw.get("endpoint")
            app_node = node.args[0] if node.args else kw.get("app")
            exposed_on = self.owner_ref(app_node) if app_node is not None else None
            mounts.append(
                Mount(
                    exposed_on or "",
                    self.scope.text(endpoint) if endpoint else (("lit", "/metrics"),),
                    False,
                )
            )


# --------------------------------------------------------------------------- helpers


def _dev_calls(shared: nodes.TreeIndex) -> set[int]:
    """ids of nodes inside `if <development or debug test>:` bodies; read for include_router."""
    if not any(
        isinstance(c, ast.Call)
        and isinstance(c.func, ast.Attribute)
        and c.func.attr == "include_router"
        for c in shared.by_type.get(ast.Call, ())
    ):
        return set()
    return {
        id(n)
        for branch in shared.by_type.get(ast.If, ())
        if isinstance(branch, ast.If) and _DEV_TEST.search(ast.unparse(branch.test))
        for stmt in branch.body
        for n in ast.walk(stmt)
    }


def _cors_wildcard(kw: dict[str, ast.expr]) -> bool:
    creds = kw.get("allow_credentials")
    if not (isinstance(creds, ast.Constant) and creds.value is True):
        return False
    origins = kw.get("allow_origins")
    if any(isinstance(o, ast.Constant) and o.value == "*" for o in list_items(origins)):
        return True
    regex = kw.get("allow_origin_regex")
    return isinstance(regex, ast.Constant) and regex.value in (".*", "^.*$", ".+", "https?://.*")


def _is_limit_decorator(dec: ast.AST, scope: Scope) -> bool:
    if not isinstance(dec, ast.Call) or not isinstance(dec.func, ast.Attribute):
        return False
    if dec.func.attr in ("limit", "shared_limit"):
        return True
    return scope.qn(dec.func).startswith(RATE_LIMIT_LIBS)
