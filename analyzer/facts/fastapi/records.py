"""What one module tells about its FastAPI/Starlette application, as plain picklable records.

A module's `ModuleFacts` is computed in the process that parsed it and travels in its
summary (to the main process, into the result cache), so every field is plain data: names
stay unresolved here, and the app model resolves them across modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    """One module's apps, routers, routes, includes and what they use; names unresolved."""

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
    # facts have equal digests (a re-scan changing no fact reuses the repository rules' answer)
    libs: tuple[str, ...] = ()  # capabilities: metrics, tracing, ratelimit...
    header_names: tuple[str, ...] = ()  # security headers named in the code
