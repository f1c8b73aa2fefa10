"""Frontend rules (FE001-FE005): what a JS/TS frontend ships to every visitor.

- FE001 looks at names, not values: a variable with a public prefix (`VITE_`,
  `NEXT_PUBLIC_`, `REACT_APP_`, `EXPO_PUBLIC_`, `VUE_APP_`, `GATSBY_`) is
  inlined into the JavaScript bundle by the build, so one whose name says it
  holds a server secret (`…SERVICE_ROLE_KEY`, `…SECRET_KEY`, `…PASSWORD`) is
  a leak by design, whatever its value in the repository (placeholders
  included: the template tells every developer to put the real key there).
  A committed *value* that is itself a Supabase service-role key stays
  SEC002's finding, at the value's column; FE001 is at the name.
- FE002 and FE003 need data flow a tokenizer cannot see (is the HTML
  constant? is it sanitized?): they run through semgrep, once per scan, over
  every JS/TS file (analyzer.engines.semgrep_engine). Without semgrep they
  are listed as skipped.
- FE004 counts react-router routes per router file and looks for any lazy
  loading in that frontend's source tree (`lazy(`, `import(`, route `lazy:`).
- FE005 reads build configs by file name (vite, webpack, next) for
  minification switched off.

An oversized image rule (FRONTEND-2) is ready in `oversized_images` but needs
binary files' sizes, which the scan does not record yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import PurePosixPath

from analyzer.checks.registry import file_check, repo_check
from analyzer.core.model import BinaryFile, FileResult, Finding
from analyzer.core.secretvalues import is_placeholder
from analyzer.engines import semgrep_engine
from analyzer.facts.frontend import (
    IMAGE_LIMIT_BYTES,
    PUBLIC_NAME,
    PUBLIC_PREFIXES,
    Asset,
    oversized_assets,
    server_secret_name,
)
from analyzer.facts.repo import as_view
from analyzer.parsers.envfile import EnvFile
from analyzer.parsers.javascript import JsFile

PUBLIC_SECRET = "FE001"
HTML_SINK = "FE002"
EVAL = "FE003"
NOT_LAZY = "FE004"
NOT_MINIFIED = "FE005"
OVERSIZED_IMAGE = "FE006"


_ROUTER_IMPORT = re.compile(
    r"""(?:from\s*|require\s*\(\s*)["'](?:react-router|react-router-dom|react-router/dom)["']"""
)
_JSX_ROUTE = re.compile(r"<Route\b[^>]*?\b(?:path|index)\b")
_OBJECT_ROUTE = re.compile(r"""(?<![\w$])path\s*:\s*["'`]""")
_LAZY = re.compile(r"(?<![\w$.])(?:lazy\s*[(:]|import\s*\(|loadable\s*\()|\.lazy\s*\(|lazy\s*=")
MANY_ROUTES = 10  # below this, one chunk for every route is a reasonable choice

_VITE_CONFIG = re.compile(r"^vite\.config\.[cm]?[jt]s$")
_WEBPACK_CONFIG = re.compile(r"^webpack[\w.-]*\.[cm]?[jt]s$")
_NEXT_CONFIG = re.compile(r"^next\.config\.[cm]?[jt]s$")
_FALSE_KEY = re.compile(r"(?<![\w$])(?P<key>minify|cssMinify|minimize|swcMinify)\s*:\s*false\b")
_DEV_MODE = re.compile(r"""(?<![\w$])mode\s*:\s*["']development["']""")
_KEY_BEFORE = re.compile(r"""(?:([A-Za-z_$][\w$]*)|["']([^"']+)["'])\s*:\s*$""")


# ---------------------------------------------------------------- FE001


@file_check("env", PUBLIC_SECRET)
def public_secret_in_env(env: EnvFile) -> Iterator[Finding]:
    for var in env.variables:
        prefix = server_secret_name(var.name)
        if prefix is None:
            continue
        value = var.value.strip()
        committed = bool(value) and not is_placeholder(value)
        yield Finding(
            PUBLIC_SECRET,
            env.path,
            _public_message(var.name, prefix)
            + (" A value is committed here too: rotate it." if committed else ""),
            line=var.line,
            column=1,
            end_column=1 + len(var.name),
            anchor=f"public-secret:{var.name}",
        )


@file_check("js", PUBLIC_SECRET, NOT_MINIFIED)
def javascript_file(js: JsFile) -> Iterator[Finding]:
    yield from _public_secret_in_code(js)
    yield from _minification_off(js)


def _public_secret_in_code(js: JsFile) -> Iterator[Finding]:
    seen: set[str] = set()
    for m in PUBLIC_NAME.finditer(js.code):
        name = m.group(0)
        prefix = server_secret_name(name)
        if prefix is None or name in seen:
            continue
        seen.add(name)
        line, col = js.line_col(m.start())
        node_script = prefix == "VITE_" and js.code[max(0, m.start() - 12) : m.start()].rstrip(
            " ."
        ).endswith("process.env")
        yield Finding(
            PUBLIC_SECRET,
            js.path,
            _node_message(name) if node_script else _public_message(name, prefix),
            line=line,
            column=col,
            end_line=line,
            end_column=col + len(name),
            anchor=f"public-secret:{name}",
        )


def _public_message(name: str, prefix: str) -> str:
    tool = PUBLIC_PREFIXES[prefix]
    return (
        f"`{name}` names a server secret but has the public prefix `{prefix}`: {tool} "
        "inlines it into the JavaScript every visitor downloads."
    )


def _node_message(name: str) -> str:
    """`process.env.VITE_…` is a Node script (Vite never rewrites `process.env`): not inlined
    here, but the `.env` file that holds it is the one Vite reads for the frontend."""
    return (
        f"`{name}` names a server secret but has the public prefix `VITE_`: this script reads "
        "it from the `.env` files Vite loads into `import.meta.env`, one reference away from "
        "the bundle; name it without the prefix."
    )


# ---------------------------------------------------------------- FE002, FE003 (semgrep)

_SINKS = {
    "dangerously-set-inner-html": "`dangerouslySetInnerHTML`",
    "inner-html-assignment": "`innerHTML`/`outerHTML`",
    "document-write": "`document.write`/`insertAdjacentHTML`",
}


# Words every FE002/FE003 match contains: files without them never reach semgrep, so a
# scan of a frontend without any sink does not pay semgrep's start-up (about 2 s).
_SEMGREP_SINKS = re.compile(
    r"innerHTML|outerHTML|__html|document\.write|insertAdjacentHTML|eval|Function"
)


@repo_check(HTML_SINK, EVAL)
def semgrep_rules(results: Sequence[FileResult]) -> Iterator[Finding]:
    """FE002 and FE003 in one semgrep run over every JS/TS file of the scan."""
    files = {
        r.path: r.facts
        for r in results
        if isinstance(r.facts, JsFile) and _SEMGREP_SINKS.search(r.facts.code)
    }
    if not files or not semgrep_engine.available():
        return
    hits = semgrep_engine.run(((p, js.text) for p, js in files.items()), as_view(results).cache)
    for hit in hits:
        js = files.get(hit.path)
        if js is None:
            continue
        lines = js.text.split("\n")
        text = lines[hit.line - 1] if 0 < hit.line <= len(lines) else ""
        yield Finding(
            hit.code,
            hit.path,
            _semgrep_message(hit),
            line=hit.line,
            column=hit.column,
            end_line=hit.end_line,
            end_column=hit.end_column,
            anchor=f"{hit.rule_id}:{' '.join(text.split())}",
        )


def _semgrep_message(hit: semgrep_engine.Hit) -> str:
    if hit.code == EVAL:
        return "Code built at run time is executed (`eval`/`new Function`)."
    sink = next((v for k, v in _SINKS.items() if hit.rule_id.endswith(k)), "an HTML sink")
    return f"Non-constant, unsanitized HTML is rendered through {sink}."


# ---------------------------------------------------------------- FE004


@repo_check(NOT_LAZY)
def routes_not_lazy(results: Sequence[FileResult]) -> Iterator[Finding]:
    js_files = [r.facts for r in results if isinstance(r.facts, JsFile)]
    for js in js_files:
        if not _ROUTER_IMPORT.search(js.code):
            continue
        routes = [m.start() for m in _JSX_ROUTE.finditer(js.bare)]
        routes += [m.start() for m in _OBJECT_ROUTE.finditer(js.bare)]
        if len(routes) < MANY_ROUTES:
            continue
        tree = _source_tree(js.path)
        if any(_LAZY.search(other.bare) for other in js_files if _within(other.path, tree)):
            continue
        line, col = js.line_col(min(routes))
        yield Finding(
            NOT_LAZY,
            js.path,
            f"{len(routes)} routes are declared here and no page is lazy-loaded "
            f"(no `React.lazy`, route `lazy` or dynamic `import()` under `{tree or '.'}`): "
            "every visitor downloads every page's code before the first paint.",
            line=line,
            column=col,
            anchor="routes-not-lazy",
        )


def _source_tree(path: str) -> str:
    """The folder whose files make up this frontend: up to its `src`, else the file's folder."""
    parts = PurePosixPath(path).parts[:-1]
    if "src" in parts:
        return "/".join(parts[: parts.index("src") + 1])
    return "/".join(parts)


def _within(path: str, tree: str) -> bool:
    return not tree or path.startswith(tree + "/")


# ---------------------------------------------------------------- FE005


def _minification_off(js: JsFile) -> Iterator[Finding]:
    name = PurePosixPath(js.path).name.lower()
    if _VITE_CONFIG.match(name):
        if re.search(r"(?<![\w$])lib\s*:", js.bare):
            return  # library mode: the consuming app's bundler minifies
        wanted = {"minify": "build", "cssMinify": "build"}
        tool = "Vite"
    elif _WEBPACK_CONFIG.match(name) and not re.search(r"dev|development", name):
        wanted = {"minimize": "optimization"}
        tool = "webpack"
        if "prod" in name:
            for m in _DEV_MODE.finditer(js.code):
                line, col = js.line_col(m.start())
                yield Finding(
                    NOT_MINIFIED,
                    js.path,
                    "A production webpack config sets `mode: 'development'`: no minification, "
                    "no tree shaking, React's development build.",
                    line=line,
                    column=col,
                    anchor="webpack-development-mode",
                )
    elif _NEXT_CONFIG.match(name):
        wanted = {"swcMinify": ""}
        tool = "Next.js"
    else:
        return
    for m in _FALSE_KEY.finditer(js.bare):
        key = m.group("key")
        if key not in wanted or (wanted[key] and _parent_key(js, m.start()) != wanted[key]):
            continue
        line, col = js.line_col(m.start())
        where = f"{wanted[key]}.{key}" if wanted[key] else key
        yield Finding(
            NOT_MINIFIED,
            js.path,
            f"The {tool} build sets `{where}: false`: the JavaScript and CSS are shipped "
            "unminified.",
            line=line,
            column=col,
            anchor=f"minify-off:{where}",
        )


def _parent_key(js: JsFile, offset: int) -> str:
    """The key of the object literal enclosing `offset` (`build` in `build: {minify: …}`)."""
    stack: list[str] = []
    bare, code = js.bare, js.code
    for i in range(offset):
        ch = bare[i]
        if ch in "{[(":
            key = ""
            if ch == "{":
                m = _KEY_BEFORE.search(code[max(0, i - 200) : i])
                key = (m.group(1) or m.group(2)) if m else ""
            stack.append(key)
        elif ch in "}])" and stack:
            stack.pop()
    return stack[-1] if stack else ""


# ---------------------------------------------------------------- FE006 oversized images


def oversized_images(assets: Iterable[Asset]) -> Iterator[Finding]:
    """Image files over 300 KB in a frontend's source, public or assets folder."""
    for asset in oversized_assets(assets):
        yield Finding(
            OVERSIZED_IMAGE,
            asset.path,
            f"Image of {asset.size // 1024} KB (over {IMAGE_LIMIT_BYTES // 1024} KB) is shipped "
            "to visitors; compress it or serve a resized WebP/AVIF.",
            anchor="oversized-image",
        )


@repo_check(OVERSIZED_IMAGE)
def oversized_image_files(results: Sequence[FileResult]) -> Iterator[Finding]:
    """The scan records binary files with their size only; images are judged here."""
    return oversized_images(
        Asset(r.facts.path, r.facts.size) for r in results if isinstance(r.facts, BinaryFile)
    )
