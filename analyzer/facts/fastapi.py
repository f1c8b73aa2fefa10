"""The FastAPI/Starlette application model of one Python module, and of a whole repository.

`module_facts(PyModule)` reads one `ast` tree: apps, routers, routes with
their dependencies and query parameters, `include_router` calls, middlewares,
exception handlers, security headers and the libraries that give metrics,
tracing or rate limiting. Names stay unresolved there (a dependency is the
qualified name of what `Depends(...)` received), because what they name often
lives in another module.

`AppModel.build(modules)` then joins the modules of a repository: it resolves
`include_router` targets and `Annotated` aliases across files, computes every
route's full path (app prefix + include prefixes + router prefix + route
path) and every dependency that applies to it (route, router, include and app
level), so "this route has no authentication" is judged on what FastAPI will
really run, never on one file alone.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from analyzer.core.vocabulary import HTTP_METHODS
from analyzer.parsers import pynodes as nodes
from analyzer.parsers.python import PyModule

APP_CLASSES = frozenset(
    {"fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette"}
)
ROUTER_CLASSES = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter"})

DEPENDS = frozenset(
    {"fastapi.Depends", "fastapi.params.Depends", "fastapi.param_functions.Depends"}
)
SECURITY = frozenset(
    {"fastapi.Security", "fastapi.params.Security", "fastapi.param_functions.Security"}
)
QUERY = frozenset({"fastapi.Query", "fastapi.params.Query", "fastapi.param_functions.Query"})
BOUNDED_FIELD = frozenset({"pydantic.Field", "sqlmodel.Field", *QUERY})
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated", "Annotated"})
NOT_BODY_PARAMS = frozenset(
    {
        f"fastapi.{n}"
        for n in ("Query", "Path", "Header", "Cookie", "Form", "File", "Depends", "Security")
    }
)
GZIP = frozenset(
    {
        "fastapi.middleware.gzip.GZipMiddleware",
        "starlette.middleware.gzip.GZipMiddleware",
        "brotli_asgi.BrotliMiddleware",
        "starlette_compress.CompressMiddleware",
    }
)
CORS = frozenset(
    {"fastapi.middleware.cors.CORSMiddleware", "starlette.middleware.cors.CORSMiddleware"}
)
AUTH_MIDDLEWARE = frozenset({"starlette.middleware.authentication.AuthenticationMiddleware"})
SECURITY_HEADERS = frozenset(
    {
        "content-security-policy",
        "strict-transport-security",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "permissions-policy",
    }
)
# Libraries whose presence in application code means the capability exists.
METRICS_LIBS = (
    "prometheus_client",
    "prometheus_fastapi_instrumentator",
    "starlette_exporter",
    "starlette_prometheus",
    "aioprometheus",
    "opentelemetry.exporter.prometheus",
)
TRACING_LIBS = ("opentelemetry", "ddtrace", "elasticapm", "newrelic", "aws_xray_sdk")
RATE_LIMIT_LIBS = ("slowapi", "fastapi_limiter", "limits", "ratelimit", "fastapi_throttle")
REQUEST_ID_LIBS = ("asgi_correlation_id", "starlette_context", "fastapi_request_id")
HEADER_LIBS = ("secure", "secweb", "starlette_csp", "fastapi_security")
AUTH_LIBS = (
    "fastapi.security",
    "jwt",
    "jose",
    "authlib",
    "fastapi_users",
    "fastapi_jwt_auth",
    "fastapi_login",
    "firebase_admin.auth",
    "supabase_auth",
    "gotrue",
    "passlib",
    "itsdangerous",
    "starlette.middleware.authentication",
    "fastapi_azure_auth",
    "fastapi_auth0",
    "fastapi_cloudauth",
    "keycloak",
)
# Name words that make a dependency an authentication dependency (split on _ and camelCase).
AUTH_WORDS = frozenset(
    {
        "auth", "authenticate", "authenticated", "authentication", "authorization",
        "authorize", "authorized", "user", "token", "apikey", "jwt", "permission",
        "permissions", "scope", "scopes", "admin", "login", "credential", "credentials",
        "principal", "verify", "verified", "signature", "security", "guard", "bearer",
        "oauth", "oauth2", "role", "roles", "claims", "identity", "superuser", "require",
        "requires", "protected", "signed",
    }
)  # fmt: skip
PAGINATION_WORDS = frozenset({"pagination", "paginate", "paginator", "page", "paging", "params"})
PAGINATION_PARAMS = frozenset(
    {"limit", "offset", "skip", "page", "per_page", "page_size", "pagesize", "size", "cursor",
     "after", "before", "first", "last", "take", "top", "max_results", "page_token", "start"}
)  # fmt: skip
LIMIT_PARAMS = frozenset(
    {"limit", "per_page", "page_size", "pagesize", "size", "take", "top", "max_results", "count"}
)
_BOUNDING_CALLS = frozenset(
    {"limit", "offset", "range", "slice", "paginate", "fetchmany", "page", "limit_to_last",
     "paginate_query", "apaginate"}
)  # fmt: skip
_SINGLE_ROW_CALLS = frozenset(
    {"first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none", "single",
     "maybe_single", "get"}
)  # fmt: skip
_QUERY_CHAIN = frozenset(
    {"query", "exec", "execute", "scalars", "filter", "filter_by", "where", "objects",
     "order_by", "select", "join", "options", "select_from", "distinct", "all_objects"}
)  # fmt: skip
_DEV_TEST = re.compile(r"environment|\benv\b|_env\b|\bdebug\b|\blocal\b|development|\bdev\b", re.I)
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")
_WORD_SPLIT = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def name_words(name: str) -> set[str]:
    """`get_current_user` -> {get, current, user}; `APIKeyHeader` -> {api, key, header, apikey}."""
    words = {w.lower() for w in _WORD_SPLIT.findall(name)}
    low = name.lower().replace("_", "")
    if "apikey" in low:
        words.add("apikey")
    return words


# --------------------------------------------------------------------------- records

# A path or prefix as written: literal text and references to constants, in order.
# ("lit", "/calls") or ("ref", "app.core.config.settings.API_V1_STR"); None = not knowable.
Part = tuple[str, str]
Text = tuple[Part, ...] | None


@dataclass(frozen=True)
class Dep:
    """One dependency: what `Depends(...)`/`Security(...)` received, or a possible alias."""

    target: str | None  # qualified name; None for a lambda or call result
    line: int
    security: bool = False  # `Security(...)`: an authentication scheme by definition
    alias: bool = False  # a parameter's annotation that may be an `Annotated` alias


@dataclass(frozen=True)
class Param:
    name: str
    line: int
    column: int
    annotation: str  # as written (ast.unparse), "" when absent
    bounded: bool  # `le=`/`lt=` given through Query, Field, Annotated or conint
    body_like: bool  # typed dict/Any and not a Query/Path/Header/Depends parameter
    int_like: bool


@dataclass(frozen=True)
class FunctionInfo:
    """What a function (a route or a dependency) does that the rules care about."""

    name: str
    line: int
    deps: tuple[Dep, ...]
    auth_evidence: bool  # checks a token/credential itself (jwt.decode, 401, compare_digest...)
    signature_evidence: bool  # validates a webhook signature (Twilio RequestValidator...)
    rate_limit_evidence: bool
    is_class: bool = False


@dataclass(frozen=True)
class Route:
    owner: str  # qualified name of the app or router variable
    methods: tuple[str, ...]
    path: Text
    function: str
    line: int
    column: int
    deps: tuple[Dep, ...]  # decorator `dependencies=` plus the signature's
    params: tuple[Param, ...]
    response_model: str
    whole_table: tuple[int, int, str] | None  # (line, column, what) of an unbounded read
    rate_limited: bool  # a limiter decorator on the route
    auth_evidence: bool
    signature_evidence: bool
    telephony: bool  # answers Twilio/telephony callbacks (TwiML, CallSid, twilio path)


@dataclass(frozen=True)
class Owner:
    """A FastAPI/Starlette app or an APIRouter."""

    ref: str
    var: str
    kind: str  # "app" or "router"
    prefix: Text
    deps: tuple[Dep, ...]
    line: int
    column: int
    debug_true: tuple[int, int] | None = None
    docs_paths: tuple[str, ...] = ()
    exception_handlers: bool = False  # `exception_handlers=` given to the constructor
    middleware_refs: tuple[str, ...] = ()  # classes in `middleware=[Middleware(...)]`


@dataclass(frozen=True)
class Include:
    parent: str  # qualified name of the app/router that includes
    target: str | None  # qualified name of the included router; None when dynamic
    prefix: Text
    deps: tuple[Dep, ...]
    line: int
    dev_only: bool = False  # inside `if settings.ENVIRONMENT == "local":` and the like


@dataclass(frozen=True)
class Middleware:
    owner: str
    ref: str  # class given to add_middleware, or "http" for @app.middleware("http")
    line: int
    column: int
    cors_wildcard_credentials: bool = False
    auth_evidence: bool = False
    request_id: bool = False
    sets_security_headers: bool = False


@dataclass(frozen=True)
class Mount:
    owner: str
    path: Text
    prefix: bool  # a mount serves everything under its path


@dataclass(frozen=True)
class ModuleFacts:
    path: str
    module: str
    app_code: bool
    owners: tuple[Owner, ...] = ()
    routes: tuple[Route, ...] = ()
    includes: tuple[Include, ...] = ()
    middlewares: tuple[Middleware, ...] = ()
    mounts: tuple[Mount, ...] = ()
    exception_handlers: tuple[int, ...] = ()  # lines of registered handlers
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    aliases: dict[str, tuple[Dep, ...]] = field(default_factory=dict)  # Annotated aliases
    instances: dict[str, str] = field(default_factory=dict)  # var -> qualified class called
    constants: dict[str, str] = field(default_factory=dict)  # NAME / Class.NAME -> string
    reexports: dict[str, str] = field(default_factory=dict)  # imported name -> qualified
    # sorted tuples, not sets: a record pickles to the same bytes in every process, so equal
    # facts have equal digests (the judge's result is reused when no file's facts changed)
    libs: tuple[str, ...] = ()  # capabilities: metrics, tracing, ratelimit...
    header_names: tuple[str, ...] = ()  # security headers named in the code


# --------------------------------------------------------------------------- one module


_MEMO = "_fastapi_facts"


def module_facts(mod: PyModule) -> ModuleFacts:
    """The facts of one module; computed once, since file rules and the judge both ask.

    Kept on the module record itself, not in a per-process table: the facts a
    worker computed for the file rules travel with the record to the judge in
    the main process and into the result cache, instead of being recomputed
    there for every module of the repository.
    """
    facts: ModuleFacts | None = mod.__dict__.get(_MEMO)
    if facts is None:
        facts = _Extractor(mod).run()
        object.__setattr__(mod, _MEMO, facts)  # frozen record; a memo, not a field
    return facts


class _Extractor:
    def __init__(self, mod: PyModule) -> None:
        self.mod = mod
        self.imports = mod.imports
        self.owners: dict[str, Owner] = {}
        self.instances: dict[str, str] = {}
        self.constants: dict[str, str] = {}
        self.aliases: dict[str, tuple[Dep, ...]] = {}

    @functools.cached_property
    def may_be_telephony(self) -> bool:
        """Whether any route here can answer Twilio: `twilio.twiml` named or its strings used."""
        by_type = nodes.index(self.mod.tree).by_type
        return any(
            isinstance(n, ast.Name)
            and (
                (root := self.imports.get(n.id, n.id)).startswith("twilio.twiml")
                or "twilio.twiml".startswith(root)
            )
            for n in by_type.get(ast.Name, ())
        ) or any(
            isinstance(c, ast.Constant)
            and isinstance(c.value, str)
            and c.value.lower() in _TELEPHONY_STRINGS
            for c in by_type.get(ast.Constant, ())
        )

    # names -----------------------------------------------------------------

    def ref(self, node: ast.AST) -> str | None:
        """A global qualified name: imported names resolved, local ones prefixed by the module."""
        q = self.mod.qualified_name(node)
        if q is None:
            return None
        head = q.split(".")[0].split("(")[0]
        root = _root_name(node)
        if root is not None and root not in self.imports and head == root:
            return f"{self.mod.module}.{q}" if self.mod.module else q
        return q

    def qn(self, node: ast.AST) -> str:
        return self.mod.qualified_name(node) or ""

    # main ------------------------------------------------------------------

    def run(self) -> ModuleFacts:
        tree = self.mod.tree
        shared = nodes.index(tree)
        self.dev_calls = _dev_calls(shared)
        self._constants_and_instances(tree)
        for assign in nodes.in_walk_order(tree, ast.Assign, ast.AnnAssign):
            if isinstance(assign, (ast.Assign, ast.AnnAssign)) and isinstance(
                assign.value, ast.Call
            ):
                self._owner(assign, assign.value)
        functions = {
            f.name: self._function_info(f)
            for f in nodes.in_walk_order(tree, ast.FunctionDef, ast.AsyncFunctionDef)
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        for cls in nodes.of_type(tree, ast.ClassDef):
            functions.setdefault(cls.name, self._class_info(cls))
        routes: list[Route] = []
        includes: list[Include] = []
        middlewares: list[Middleware] = []
        mounts: list[Mount] = []
        handlers: list[int] = []
        found: list[ast.AST] = nodes.in_walk_order(
            tree, ast.FunctionDef, ast.AsyncFunctionDef, ast.Call
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
        libs, headers = self._capabilities(tree, functions, middlewares)
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
        for found in nodes.in_walk_order(tree, ast.Assign, ast.AnnAssign):
            if isinstance(found, (ast.Assign, ast.AnnAssign)) and found.value is not None:
                target = found.targets[0] if isinstance(found, ast.Assign) else found.target
                if isinstance(target, ast.Name):
                    deps = self._annotated_deps(found.value)
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
            called = self.ref(value.func)
            if called:
                self.instances[name] = called

    # apps and routers ------------------------------------------------------

    def _owner(self, node: ast.Assign | ast.AnnAssign, call: ast.Call) -> None:
        cls = self.qn(call.func)
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
            for m in _list_items(kw.get("middleware"))
            if isinstance(m, ast.Call) and m.args
            for r in [self.qn(m.args[0])]
            if r
        )
        ref = self.ref(target) or target.id
        self.owners[target.id] = Owner(
            ref=ref,
            var=target.id,
            kind=kind,
            prefix=self.text(kw["prefix"]) if "prefix" in kw else (),
            deps=self._dep_list(kw.get("dependencies")),
            line=call.lineno,
            column=call.col_offset + 1,
            debug_true=(debug.lineno, debug.col_offset + 1)
            if isinstance(debug, ast.Constant) and debug.value is True
            else None,
            docs_paths=tuple(docs),
            exception_handlers="exception_handlers" in kw,
            middleware_refs=middleware_refs,
        )
        if kind == "app":
            for m in _list_items(kw.get("middleware")):
                if isinstance(m, ast.Call) and m.args:
                    pass  # recorded through middleware_refs; CORS there is checked below

    def text(self, node: ast.AST | None) -> Text:
        """A path as parts: literals and references to constants; None when not knowable."""
        if node is None:
            return ()
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return (("lit", node.value),)
        if isinstance(node, ast.JoinedStr):
            parts: list[Part] = []
            for v in node.values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    parts.append(("lit", v.value))
                elif isinstance(v, ast.FormattedValue):
                    sub = self.text(v.value)
                    if sub is None:
                        return None
                    parts.extend(sub)
            return tuple(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.text(node.left), self.text(node.right)
            return None if left is None or right is None else left + right
        if isinstance(node, (ast.Name, ast.Attribute)):
            r = self.ref(node)
            return (("ref", r),) if r else None
        return None

    def owner_ref(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name) and node.id in self.owners:
            return self.owners[node.id].ref
        return self.ref(node)

    # dependencies ----------------------------------------------------------

    def _dep_list(self, node: ast.AST | None) -> tuple[Dep, ...]:
        out: list[Dep] = []
        for item in _list_items(node):
            dep = self._dep_call(item)
            if dep is not None:
                out.append(dep)
        return tuple(out)

    def _dep_call(self, node: ast.AST, annotation: ast.AST | None = None) -> Dep | None:
        if not isinstance(node, ast.Call):
            return None
        name = self.qn(node.func)
        if name not in DEPENDS and name not in SECURITY:
            return None
        arg: ast.AST | None = node.args[0] if node.args else None
        for k in node.keywords:
            if k.arg == "dependency":
                arg = k.value
        if arg is None:
            arg = annotation
        target = self.ref(arg) if arg is not None else None
        return Dep(target, node.lineno, security=name in SECURITY)

    def _annotated_deps(self, node: ast.AST) -> tuple[Dep, ...]:
        if not isinstance(node, ast.Subscript) or self.qn(node.value) not in ANNOTATED:
            return ()
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        base = elts[0] if elts else None
        out = []
        for extra in elts[1:]:
            dep = self._dep_call(extra, base)
            if dep is not None:
                out.append(dep)
        return tuple(out)

    def _signature(
        self, fn: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> tuple[list[Dep], list[Param]]:
        args = fn.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults += list(args.defaults)
        pairs = list(zip(positional, defaults, strict=True))
        pairs += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
        deps: list[Dep] = []
        params: list[Param] = []
        for arg, default in pairs:
            if arg.arg in ("self", "cls"):
                continue
            ann = arg.annotation
            dep = self._dep_call(default, ann) if default is not None else None
            ann_deps = self._annotated_deps(ann) if ann is not None else ()
            if dep is not None:
                deps.append(dep)
            deps.extend(ann_deps)
            if dep is None and not ann_deps and isinstance(ann, (ast.Name, ast.Attribute)):
                r = self.ref(ann)
                if r:
                    deps.append(Dep(r, arg.lineno, alias=True))
            if dep is not None or ann_deps:
                continue
            params.append(self._param(arg, default))
        return deps, params

    def _param(self, arg: ast.arg, default: ast.expr | None) -> Param:
        ann = arg.annotation
        ann_text = ast.unparse(ann) if ann is not None else ""
        bounded = False
        not_body = False
        int_like = bool(re.search(r"\bint\b", ann_text)) or (
            isinstance(default, ast.Constant) and type(default.value) is int
        )
        candidates: list[ast.AST] = []
        if default is not None:
            candidates.append(default)
        if isinstance(ann, ast.Subscript) and self.qn(ann.value) in ANNOTATED:
            elts = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
            candidates.extend(elts[1:])
            ann_text = ast.unparse(elts[0]) if elts else ann_text
        if isinstance(ann, ast.Call):
            candidates.append(ann)  # conint(le=...)
        for c in candidates:
            if isinstance(c, ast.Call):
                qn = self.qn(c.func)
                if qn in NOT_BODY_PARAMS or qn.startswith("fastapi.params."):
                    not_body = True
                if any(k.arg in ("le", "lt") for k in c.keywords):
                    bounded = True
        if "Literal[" in ann_text or re.search(r"\bcon(?:int|list)\b", ann_text):
            bounded = bounded or "le=" in ann_text or "lt=" in ann_text or "Literal[" in ann_text
        body_like = not not_body and bool(
            re.fullmatch(
                r"(?:typing\.)?(?:Dict|dict|Any|Mapping)(?:\[.*\])?(?:\s*\|\s*None)?|"
                r"(?:typing\.)?Optional\[(?:typing\.)?(?:Dict|dict|Any)(?:\[.*\])?\]",
                ann_text.strip(),
            )
        )
        return Param(
            arg.arg,
            arg.lineno,
            arg.col_offset + 1,
            ann_text,
            bounded,
            body_like,
            int_like,
        )

    # functions ---------------------------------------------------------------

    def _function_info(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionInfo:
        deps, _ = self._signature(fn)
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
                d, _ = self._signature(item)
                deps.extend(d)
                a, s, r = self._body_evidence(item)
                auth, signature, limit = auth or a, signature or s, limit or r
        bases = {self.qn(b) for b in cls.bases}
        if any(b.startswith("fastapi.security") for b in bases):
            auth = True
        return FunctionInfo(cls.name, cls.lineno, tuple(deps), auth, signature, limit, True)

    def _body_evidence(self, fn: ast.AST) -> tuple[bool, bool, bool]:
        """(auth, signature, rate limit) evidence anywhere in the function, nested ones included."""
        return self._evidence_by_function.get(id(fn), (False, False, False))

    @functools.cached_property
    def _evidence_by_function(self) -> dict[int, tuple[bool, bool, bool]]:
        """Evidence of every function at once: each telling node credits the functions around it.

        Only nodes that can tell are looked at (a name rooted in jwt/jose/twilio/..., an
        attribute named like `get_user`, a header string, `status_code=401`), so a module
        without any costs one pass over its names and strings, not a walk per function.
        """
        shared = nodes.index(self.mod.tree)
        parents = shared.parents
        by_type = shared.by_type
        telling: list[ast.AST] = []
        for c in by_type.get(ast.Constant, ()):
            assert isinstance(c, ast.Constant)
            if isinstance(c.value, str):
                low = c.value.lower()
                if low in _AUTH_HEADERS or ("signature" in low and low.startswith("x-")):
                    telling.append(c)
        for k in by_type.get(ast.keyword, ()):
            assert isinstance(k, ast.keyword)
            if k.arg == "status_code":
                telling.append(k)
        for a in by_type.get(ast.Attribute, ()):
            assert isinstance(a, ast.Attribute)
            if a.attr in _EVIDENCE_NAMES:
                telling.append(a)
        for n in by_type.get(ast.Name, ()):
            assert isinstance(n, ast.Name)
            if not _may_tell(self.imports.get(n.id, n.id)):
                continue
            telling.append(n)
            cur: ast.AST = n
            while True:  # `jwt.decode`, `jwt.PyJWT().decode`: the chains built on the name
                parent = parents.get(cur)
                if isinstance(parent, ast.Attribute) and parent.value is cur:
                    telling.append(parent)
                elif not (isinstance(parent, ast.Call) and parent.func is cur):
                    break
                cur = parent
        out: dict[int, tuple[bool, bool, bool]] = {}
        for node in telling:
            found = self._node_evidence(node)
            if not any(found):
                continue
            up = parents.get(node)
            while up is not None:
                if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    had = out.get(id(up), (False, False, False))
                    out[id(up)] = (had[0] or found[0], had[1] or found[1], had[2] or found[2])
                up = parents.get(up)
        return out

    def _node_evidence(self, node: ast.AST) -> tuple[bool, bool, bool]:
        auth = signature = limit = False
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            low = node.value.lower()
            if low in _AUTH_HEADERS:
                auth = True
            if "signature" in low and low.startswith("x-"):
                signature = True
        elif isinstance(node, (ast.Name, ast.Attribute)):
            q = self.qn(node)
            if q.startswith("twilio.request_validator"):
                signature = True
            elif q in (
                "jwt.decode",
                "jose.jwt.decode",
                "hmac.compare_digest",
                "secrets.compare_digest",
            ) or q.startswith(("jwt.", "jose.")):
                auth = True
            elif q.startswith(("stripe.Webhook", "svix", "stripe.WebhookSignature")):
                signature = True
            elif q in ("HTTP_401_UNAUTHORIZED", "HTTP_403_FORBIDDEN") or q.endswith(
                (
                    ".HTTP_401_UNAUTHORIZED",
                    ".HTTP_403_FORBIDDEN",
                    ".auth.get_user",
                    ".auth.get_claims",
                    ".verify_id_token",
                    ".verify_token",
                )
            ):
                auth = True
            elif q.startswith(RATE_LIMIT_LIBS):
                limit = True
        elif (
            isinstance(node, ast.keyword)
            and node.arg == "status_code"
            and isinstance(node.value, ast.Constant)
            and node.value.value in (401, 403)
        ):
            auth = True
        return auth, signature, limit

    # routes ----------------------------------------------------------------

    def _decorated_routes(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[Route]:
        limited = any(_is_limit_decorator(d, self) for d in fn.decorator_list)
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
                    for m in _list_items(kw.get("methods"))
                    if isinstance(m, ast.Constant)
                ) or ("GET",)
            yield self._route(fn, owner, methods, path_node, kw, limited, dec)

    def _looks_like_owner(self, node: ast.AST) -> bool:
        """`@router.get` on an app/router, not `@cache.get` or `@some_dict.get`."""
        if isinstance(node, ast.Name) and node.id in self.owners:
            return True
        q = self.qn(node)
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
        at: ast.AST,
    ) -> Route:
        deps, params = self._signature(fn)
        path = self.text(path_node) if path_node is not None else (("lit", ""),)
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
            deps=(*self._dep_list(kw.get("dependencies")), *deps),
            params=tuple(params),
            response_model=rm,
            whole_table=_whole_table(fn, self),
            rate_limited=limited or limit,
            auth_evidence=auth,
            signature_evidence=signature,
            telephony=_telephony(fn, self, literal),
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
                strings = _strings(fn)
                yield Middleware(
                    owner,
                    "http",
                    fn.lineno,
                    fn.col_offset + 1,
                    auth_evidence=auth,
                    request_id=any(_is_request_id(s) for s in strings),
                    sets_security_headers=bool(strings & SECURITY_HEADERS),
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
                    prefix=self.text(kw["prefix"]) if "prefix" in kw else (),
                    deps=self._dep_list(kw.get("dependencies")),
                    line=node.lineno,
                    dev_only=id(node) in self.dev_calls,
                )
            )
        elif attr == "add_middleware" and node.args:
            cls = self.qn(node.args[0])
            middlewares.append(
                Middleware(
                    self.owner_ref(obj) or "",
                    cls,
                    node.lineno,
                    node.col_offset + 1,
                    cors_wildcard_credentials=cls in CORS and _cors_wildcard(kw),
                    auth_evidence=cls in AUTH_MIDDLEWARE,
                    request_id=cls.startswith(REQUEST_ID_LIBS) or _is_request_id(cls),
                )
            )
        elif attr == "add_exception_handler":
            handlers.append(node.lineno)
        elif attr in ("mount", "add_route", "add_api_route", "add_websocket_route") and node.args:
            path = self.text(node.args[0])
            owner = self.owner_ref(obj) or ""
            if attr == "add_api_route":
                endpoint = node.args[1] if len(node.args) > 1 else kw.get("endpoint")
                info = functions.get(endpoint.id) if isinstance(endpoint, ast.Name) else None
                methods = tuple(
                    str(m.value).upper()
                    for m in _list_items(kw.get("methods"))
                    if isinstance(m, ast.Constant)
                ) or ("GET",)
                routes.append(
                    Route(
                        owner, methods, path, info.name if info else "?", node.lineno,
                        node.col_offset + 1, (*self._dep_list(kw.get("dependencies")),
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
                    self.text(endpoint) if endpoint else (("lit", "/metrics"),),
                    False,
                )
            )
        elif isinstance(obj, ast.Name) and obj.id in self.owners and attr == "middleware":
            pass

    # capabilities ------------------------------------------------------------

    def _capabilities(
        self,
        tree: ast.Module,
        functions: dict[str, FunctionInfo],
        middlewares: list[Middleware],
    ) -> tuple[frozenset[str], frozenset[str]]:
        libs: set[str] = set()
        modules = set(self.imports.values())
        for q in modules:
            if q.startswith(METRICS_LIBS):
                libs.add("metrics")
            if q.startswith(TRACING_LIBS):
                libs.add("tracing")
            if q.startswith(RATE_LIMIT_LIBS):
                libs.add("ratelimit")
            if q.startswith(REQUEST_ID_LIBS):
                libs.add("request-id")
            if q.startswith(HEADER_LIBS) and not q.startswith("fastapi.security"):
                libs.add("security-headers")
            if q.startswith(AUTH_LIBS):
                libs.add("auth")
            if q in GZIP:
                libs.add("gzip")
        for node in nodes.of_type(tree, ast.Call):
            if isinstance(node, ast.Call):
                q = self.qn(node.func)
                if q == "sentry_sdk.init" and any(
                    k.arg in ("traces_sample_rate", "traces_sampler", "enable_tracing")
                    for k in node.keywords
                ):
                    libs.add("tracing")
                if q.endswith((".auth.get_user", ".auth.sign_in_with_password")):
                    libs.add("auth")
                if (q.endswith("SlowAPIMiddleware") or q.endswith("SlowAPIASGIMiddleware")) or any(
                    self.qn(a).endswith("SlowAPIMiddleware") for a in node.args
                ):
                    libs.add("ratelimit-app")
        for m in middlewares:
            if m.ref.endswith(("SlowAPIMiddleware", "SlowAPIASGIMiddleware")):
                libs.add("ratelimit-app")
            if m.request_id:
                libs.add("request-id")
            if m.auth_evidence:
                libs.add("auth")
            if m.ref in GZIP:
                libs.add("gzip")
        for o in self.owners.values():
            if any(r in GZIP for r in o.middleware_refs):
                libs.add("gzip")
        if any(f.auth_evidence for f in functions.values()):
            libs.add("auth")
        strings = {
            n.value.lower()
            for n in nodes.of_type(tree, ast.Constant)
            if isinstance(n.value, str) and len(n.value) < 64
        }
        headers = frozenset(strings & SECURITY_HEADERS)
        if any(_is_request_id(s) for s in strings if s.startswith("x-")):
            libs.add("request-id")
        return frozenset(libs), headers


# --------------------------------------------------------------------------- helpers


# What can make `_body_evidence` true: names rooted in these, names ending so, header strings.
_EVIDENCE_PREFIXES = (
    "twilio.request_validator", "jwt.", "jose.", "hmac.compare_digest", "secrets.compare_digest",
    "stripe.Webhook", "svix", *RATE_LIMIT_LIBS,
)  # fmt: skip
_EVIDENCE_NAMES = frozenset(
    {"HTTP_401_UNAUTHORIZED", "HTTP_403_FORBIDDEN", "get_user", "get_claims", "verify_id_token",
     "verify_token"}
)  # fmt: skip
_AUTH_HEADERS = ("authorization", "x-api-key", "api-key", "x-api-token")


@functools.lru_cache(maxsize=4096)
def _may_tell(root: str) -> bool:
    """Whether a name resolving to `root` can start a qualified name `_node_evidence` reads."""
    return root.rsplit(".", 1)[-1] in _EVIDENCE_NAMES or any(
        root.startswith(p) or p.startswith(root) for p in _EVIDENCE_PREFIXES
    )


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


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node.id if isinstance(node, ast.Name) else None


def _list_items(node: ast.AST | None) -> list[ast.expr]:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return list(node.elts)
    return []


def _strings(tree: ast.AST) -> set[str]:
    return {
        n.value.lower()
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) < 64
    }


def _is_request_id(s: str) -> bool:
    low = s.lower().replace("_", "-")
    return any(
        k in low for k in ("x-request-id", "x-correlation-id", "request-id-middleware",
                           "correlationid", "requestid")
    )  # fmt: skip


def _cors_wildcard(kw: dict[str, ast.expr]) -> bool:
    creds = kw.get("allow_credentials")
    if not (isinstance(creds, ast.Constant) and creds.value is True):
        return False
    origins = kw.get("allow_origins")
    if any(isinstance(o, ast.Constant) and o.value == "*" for o in _list_items(origins)):
        return True
    regex = kw.get("allow_origin_regex")
    return isinstance(regex, ast.Constant) and regex.value in (".*", "^.*$", ".+", "https?://.*")


def _is_limit_decorator(dec: ast.AST, ex: _Extractor) -> bool:
    if not isinstance(dec, ast.Call) or not isinstance(dec.func, ast.Attribute):
        return False
    if dec.func.attr in ("limit", "shared_limit"):
        return True
    return ex.qn(dec.func).startswith(RATE_LIMIT_LIBS)


def _chain(node: ast.AST) -> list[str]:
    """Method names of a call chain, outermost first: a.b().c().d() -> [d, c, b]."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return names


def _whole_table(fn: ast.AST, ex: _Extractor) -> tuple[int, int, str] | None:
    """Where the function reads a whole table with nothing that bounds the read.

    Any bounding call in the function (`.limit()`, `.range()`, `.offset()`, a
    slice...) clears it: the statement is often built in one variable and run
    in another, so the bound need not be on the same chain.
    """
    found: tuple[int, int, str] | None = None
    for node in ast.walk(fn):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            return None
        if not isinstance(node, ast.Call):
            continue
        if any(k.arg == "limit" for k in node.keywords):
            return None
        chain = _chain(node)
        if not chain:
            continue
        if chain[0] in _BOUNDING_CALLS:
            return None
        if found is not None or set(chain) & _SINGLE_ROW_CALLS:
            continue
        head, rest = chain[0], set(chain[1:])
        what = None
        if head in ("all", "fetchall") and rest & _QUERY_CHAIN:
            what = f".{head}()"
        elif head == "execute" and "select" in rest and ("table" in rest or "from_" in rest):
            what = "select() without .range() or .limit()"
        elif head == "to_list" and "find" in rest and _unbounded_to_list(node):
            what = ".find() without a limit"
        if what:
            found = (node.lineno, node.col_offset + 1, what)
    return found


def _unbounded_to_list(node: ast.Call) -> bool:
    values = [*node.args, *(k.value for k in node.keywords if k.arg == "length")]
    return not values or any(isinstance(v, ast.Constant) and v.value is None for v in values)


_TELEPHONY_STRINGS = frozenset(
    {"callsid", "callstatus", "messagesid", "recordingurl", "x-twilio-signature", "smsstatus"}
)


def _telephony(fn: ast.AST, ex: _Extractor, path: str) -> bool:
    if "twilio" in path.lower():
        return True
    if not ex.may_be_telephony:
        return False
    for node in ast.walk(fn):
        if isinstance(node, (ast.Name, ast.Attribute)) and ex.qn(node).startswith("twilio.twiml"):
            return True
    return bool(_strings(fn) & _TELEPHONY_STRINGS)


# --------------------------------------------------------------------------- repository


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
class AppModel:
    modules: tuple[ModuleFacts, ...]
    by_name: dict[str, ModuleFacts]
    apps: tuple[tuple[ModuleFacts, Owner], ...]
    routes: tuple[FullRoute, ...]
    served: tuple[tuple[str, bool], ...]  # extra served paths: (path, is_prefix)
    unresolved_includes: bool  # some include_router target is dynamic or not found

    @staticmethod
    def build(modules: Iterable[ModuleFacts]) -> AppModel:
        return _build(tuple(modules))

    # resolution --------------------------------------------------------------

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
        if dep.security:
            return True
        if dep.target is None:
            return False
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
            return False
        hit = self.resolve(target, near)
        if hit is None:
            return False
        mod, rest = hit
        cls = mod.instances.get(rest)
        if cls is not None and (cls.startswith("fastapi.security") or self._auth_class(cls, mod)):
            return True
        info = mod.functions.get(rest) or (
            mod.functions.get(cls.rsplit(".", 1)[-1]) if cls else None
        )
        if info is None:
            return False
        if info.auth_evidence or info.signature_evidence:
            return True
        return any(
            self.is_auth(d, mod.path, depth + 1) for d in self.expand_deps(info.deps, mod.path)
        )

    def _auth_class(self, cls: str, near: ModuleFacts) -> bool:
        return bool(name_words(cls.rsplit(".", 1)[-1]) & AUTH_WORDS)

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

    def app_libs(self) -> frozenset[str]:
        return frozenset(lib for m in self.modules if m.app_code for lib in m.libs)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        n += 1
    return n


def _build(modules: tuple[ModuleFacts, ...]) -> AppModel:
    by_name = {m.module: m for m in modules}
    shell = AppModel(modules, by_name, (), (), (), False)
    owners: dict[str, tuple[ModuleFacts, Owner]] = {}
    for m in modules:
        for o in m.owners:
            owners[o.ref] = (m, o)

    def owner_of(ref: str, near: str) -> tuple[ModuleFacts, Owner] | None:
        if ref in owners:
            return owners[ref]
        hit = shell.resolve(ref, near)
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
            rpath = shell.render(route.path, rmod.path)
            full.append(
                FullRoute(
                    route,
                    rmod,
                    None if base is None or rpath is None else base + rpath,
                    deps + tuple(shell.expand_deps(route.deps, rmod.path)),
                    app,
                    mw_auth,
                    dev,
                    loose + (shell.render(route.path, rmod.path, True) or ""),
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
            own_prefix = shell.render(node[1].prefix, node[0].path)
            own_deps = tuple(shell.expand_deps(node[1].deps, node[0].path))
        base = None if prefix is None or own_prefix is None else prefix + own_prefix
        loose_base = loose + (
            shell.render(node[1].prefix, node[0].path, True) or "" if node else ""
        )
        all_deps = deps + own_deps
        add_routes(ref, base, all_deps, app, mw_auth, dev, loose_base)
        for m2 in modules:
            for mount in m2.mounts:
                found = owner_of(mount.owner, m2.path) if mount.owner else None
                if found is not None and found[1].ref == ref and base is not None:
                    p = shell.render(mount.path, m2.path)
                    if p is not None:
                        served.append((base + p, mount.prefix))
        for inc, imod, child in children.get(ref, []):
            if child is None:
                continue
            p = shell.render(inc.prefix, imod.path)
            walk(
                child.ref,
                imod,
                None if base is None or p is None else base + p,
                all_deps + tuple(shell.expand_deps(inc.deps, imod.path)),
                app,
                mw_auth,
                seen | {ref},
                dev or inc.dev_only,
                loose_base + (shell.render(inc.prefix, imod.path, True) or ""),
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
        prefix = shell.render(node[1].prefix, node[0].path) if node else ""
        deps = tuple(shell.expand_deps(node[1].deps, node[0].path)) if node else ()
        add_routes(ref, prefix, deps, None, False, False, prefix or "")
    return AppModel(modules, by_name, apps, tuple(full), tuple(served), unresolved)
