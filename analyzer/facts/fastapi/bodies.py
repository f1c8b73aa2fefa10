"""What a function's body shows: a credential or signature check, rate limiting, an unbounded
read of a whole table, an answer to telephony callbacks.

Computed from the module's shared node index where a question can be asked of the whole module
at once (the evidence of every function is one pass over the nodes that can tell), and by a
walk of one function only where the question is about that function alone.
"""

from __future__ import annotations

import ast
import functools

from analyzer.core.vocabulary import RATE_LIMIT_LIBS
from analyzer.facts.calls import dotted
from analyzer.facts.fastapi.scope import Scope

# --------------------------------------------------------------------------- evidence

# What can make a function's evidence true: names rooted in these, names ending so, header strings.
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


def evidence_by_function(scope: Scope) -> dict[int, tuple[bool, bool, bool]]:
    """Evidence of every function at once: each telling node credits the functions around it.

    Only nodes that can tell are looked at (a name rooted in jwt/jose/twilio/..., an
    attribute named like `get_user`, a header string, `status_code=401`), so a module
    without any costs one pass over its names and strings, not a walk per function.
    """
    shared = scope.mod.nodes
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
        if not _may_tell(scope.mod.imports.get(n.id, n.id)):
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
        found = _node_evidence(scope, node)
        if not any(found):
            continue
        up = parents.get(node)
        while up is not None:
            if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef)):
                had = out.get(id(up), (False, False, False))
                out[id(up)] = (had[0] or found[0], had[1] or found[1], had[2] or found[2])
            up = parents.get(up)
    return out


def _node_evidence(scope: Scope, node: ast.AST) -> tuple[bool, bool, bool]:
    auth = signature = limit = False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        low = node.value.lower()
        if low in _AUTH_HEADERS:
            auth = True
        if "signature" in low and low.startswith("x-"):
            signature = True
    elif isinstance(node, (ast.Name, ast.Attribute)):
        q = scope.qn(node)
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


# --------------------------------------------------------------------------- telephony

_TELEPHONY_STRINGS = frozenset(
    {"callsid", "callstatus", "messagesid", "recordingurl", "x-twilio-signature", "smsstatus"}
)


def may_be_telephony(scope: Scope) -> bool:
    """Whether any route here can answer Twilio: `twilio.twiml` named or its strings used."""
    by_type = scope.mod.nodes.by_type
    return any(
        isinstance(n, ast.Name)
        and (
            (root := scope.mod.imports.get(n.id, n.id)).startswith("twilio.twiml")
            or "twilio.twiml".startswith(root)
        )
        for n in by_type.get(ast.Name, ())
    ) or any(
        isinstance(c, ast.Constant)
        and isinstance(c.value, str)
        and c.value.lower() in _TELEPHONY_STRINGS
        for c in by_type.get(ast.Constant, ())
    )


def answers_telephony(scope: Scope, fn: ast.AST) -> bool:
    """Whether the function builds TwiML or reads Twilio's callback fields."""
    for node in ast.walk(fn):
        if isinstance(node, (ast.Name, ast.Attribute)) and scope.qn(node).startswith(
            "twilio.twiml"
        ):
            return True
    return bool(strings(fn) & _TELEPHONY_STRINGS)


# --------------------------------------------------------------------------- unbounded reads

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


def whole_table(fn: ast.AST) -> tuple[int, int, str] | None:
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


def strings(tree: ast.AST) -> set[str]:
    return {
        n.value.lower()
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) < 64
    }


def called_names(fn: ast.AST) -> list[str]:
    """The dotted names this function calls (`helper`, `provider.verify_inbound_signature`)."""
    out = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            if name:
                out.append(name)
    return out
