"""Dependencies and parameters as a function's signature declares them.

`Depends(...)`/`Security(...)` defaults, `Annotated[..., Depends(...)]` annotations, and
annotations that may be an `Annotated` alias declared elsewhere (kept as possible aliases,
resolved by the app model); the other parameters with what bounds them or makes them a body.
"""

from __future__ import annotations

import ast
import re

from analyzer.facts.fastapi.names import ANNOTATED, DEPENDS, NOT_BODY_PARAMS, SECURITY
from analyzer.facts.fastapi.records import Dep, Param
from analyzer.facts.fastapi.scope import Scope, list_items


def dep_list(scope: Scope, node: ast.AST | None) -> tuple[Dep, ...]:
    out: list[Dep] = []
    for item in list_items(node):
        dep = dep_call(scope, item)
        if dep is not None:
            out.append(dep)
    return tuple(out)


def dep_call(scope: Scope, node: ast.AST, annotation: ast.AST | None = None) -> Dep | None:
    if not isinstance(node, ast.Call):
        return None
    name = scope.qn(node.func)
    if name not in DEPENDS and name not in SECURITY:
        return None
    arg: ast.AST | None = node.args[0] if node.args else None
    for k in node.keywords:
        if k.arg == "dependency":
            arg = k.value
    if arg is None:
        arg = annotation
    target = scope.ref(arg) if arg is not None else None
    return Dep(target, node.lineno, security=name in SECURITY)


def annotated_deps(scope: Scope, node: ast.AST) -> tuple[Dep, ...]:
    if not isinstance(node, ast.Subscript) or scope.qn(node.value) not in ANNOTATED:
        return ()
    elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    base = elts[0] if elts else None
    out = []
    for extra in elts[1:]:
        dep = dep_call(scope, extra, base)
        if dep is not None:
            out.append(dep)
    return tuple(out)


def signature(
    scope: Scope, fn: ast.FunctionDef | ast.AsyncFunctionDef
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
        dep = dep_call(scope, default, ann) if default is not None else None
        ann_deps = annotated_deps(scope, ann) if ann is not None else ()
        if dep is not None:
            deps.append(dep)
        deps.extend(ann_deps)
        if dep is None and not ann_deps and isinstance(ann, (ast.Name, ast.Attribute)):
            r = scope.ref(ann)
            if r:
                deps.append(Dep(r, arg.lineno, alias=True))
        if dep is not None or ann_deps:
            continue
        params.append(_param(scope, arg, default))
    return deps, params


def _param(scope: Scope, arg: ast.arg, default: ast.expr | None) -> Param:
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
    if isinstance(ann, ast.Subscript) and scope.qn(ann.value) in ANNOTATED:
        elts = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        candidates.extend(elts[1:])
        ann_text = ast.unparse(elts[0]) if elts else ann_text
    if isinstance(ann, ast.Call):
        candidates.append(ann)  # conint(le=...)
    for c in candidates:
        if isinstance(c, ast.Call):
            qn = scope.qn(c.func)
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
