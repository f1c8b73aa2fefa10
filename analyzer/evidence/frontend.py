"""Evidence in frontend code and build configs: code splitting, preloading, minification, keys.

Files are read through the JavaScript tokenizer (analyzer.parsers.javascript),
so a pattern in a comment never counts, and patterns about code are matched
where string contents are blanked. Build configs and tests are not the
application: code splitting must be in the application's own source.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from analyzer.core.model import SCOPE, BinaryFile, Evidence
from analyzer.evidence import nginx
from analyzer.evidence.core import detector
from analyzer.facts.frontend import (
    IMAGE_LIMIT_BYTES,
    IMAGE_SUFFIXES,
    PUBLIC_PREFIXES,
    Asset,
    oversized_assets,
    server_secret_name,
)
from analyzer.facts.repo import RepoView
from analyzer.parsers.html import HtmlFile
from analyzer.parsers.javascript import JsFile

_CONFIG = re.compile(r"^(vite|vitest|webpack|next|rollup|babel|jest|tailwind|postcss|eslint)\b")
_TEST = re.compile(r"(^|/)(tests?|__tests__|e2e|cypress|playwright)/|\.(test|spec|stories)\.")
_SERVER = re.compile(
    r"(^|/)(pages/api|app/api|server|supabase/functions|middleware)(/|\.)"
    r"|\.server\.[jt]sx?$|(^|/)route\.[jt]s$"
)
_SERVER_ONLY = re.compile(r"""["'](use server|server-only)["']""")
_ENV_NAME = re.compile(r"(?:process\.env|import\.meta\.env)\.([A-Za-z_]\w*)")

_REACT_LAZY_IMPORT = re.compile(r"""import\s*\{[^}]*\blazy\b[^}]*\}\s*from\s*["']react["']""")
_ARROW = r"\(\s*(?:async\s*)?\(\s*\)\s*=>"
_SPLITS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("`React.lazy`", re.compile(r"(?<![\w$])React\.lazy\s*" + _ARROW)),
    ("Next.js `dynamic(() => import())`", re.compile(r"(?<![\w$.])dynamic\s*" + _ARROW + r"\s*import\s*\(")),
    ("`loadable(() => import())`", re.compile(r"(?<![\w$.])loadable\s*" + _ARROW + r"\s*import\s*\(")),
    ("Vue `defineAsyncComponent`", re.compile(r"(?<![\w$.])defineAsyncComponent\s*\(")),
    ("route `lazy: () => import()`", re.compile(r"(?<![\w$.])lazy\s*:\s*(?:async\s*)?\(\s*\)\s*=>\s*import\s*\(")),
    ("route `component: () => import()`", re.compile(r"(?<![\w$.])component\s*:\s*\(\s*\)\s*=>\s*import\s*\(")),
    ("Angular `loadChildren`/`loadComponent`", re.compile(r"(?<![\w$.])load(?:Children|Component)\s*:\s*\(\s*\)\s*=>\s*import\s*\(")),
)  # fmt: skip
_LAZY_CALL = re.compile(r"(?<![\w$.])lazy\s*" + _ARROW)

_LINK_HINT = re.compile(
    r"""<link\b[^>]*?\brel\s*=\s*\{?\s*["'`](preload|prefetch|modulepreload)["'`]""", re.DOTALL
)
_MAGIC_COMMENT = re.compile(r"webpack(Prefetch|Preload)\s*:\s*true")
_DATA_PREFETCH = re.compile(r"(?<![\w$])(router\.prefetch|\w+\.prefetch(?:Infinite)?Query)\s*\(")
_MODULE_PRELOAD = re.compile(r"(?<![\w$])modulePreload\s*:\s*(?!false\b)")

_VITE = re.compile(r"^vite\.config\.[cm]?[jt]s$")
_NEXT = re.compile(r"^next\.config\.[cm]?[jt]s$")
_MINIFY_OFF = re.compile(r"(?<![\w$])(minify|cssMinify|minimize|swcMinify)\s*:\s*false\b")
_LIB_MODE = re.compile(r"(?<![\w$])lib\s*:")

_CREATE_CLIENT = re.compile(
    r"(?<![\w$.])(?<!function )(createClient|createBrowserClient)\s*(?:<[^>()]*>)?\s*\("
)
_SUPABASE_IMPORT = re.compile(r"""["']@supabase/(supabase-js|ssr)["']""")
_ANON = re.compile(r"anon|publishable", re.IGNORECASE)
_PRIVILEGED = re.compile(r"service|secret|admin", re.IGNORECASE)
_JWT = re.compile(r"""["'`](eyJ[\w-]+)\.(eyJ[\w-]+)\.[\w-]+["'`]""")
_PUBLIC = tuple(PUBLIC_PREFIXES)
_NOT_SHIPPED = frozenset({"docs", "doc", ".github", "test", "tests", "__tests__", "examples"})
_ASSET_DIRS = frozenset({"src", "public", "assets", "static", "images", "img"})  # as FE006
_ASSIGN = r"(?:const|let|var)\s+{name}\s*(?::[^=]+)?=\s*([^;]+)"


def _js(repo: RepoView) -> list[JsFile]:
    return [r.facts for r in repo.of_kind("js") if isinstance(r.facts, JsFile)]


def _app_code(js: JsFile) -> bool:
    name = PurePosixPath(js.path).name
    return not _CONFIG.match(name) and not _TEST.search(js.path)


@detector("FRONTEND-1")
def code_splitting(repo: RepoView) -> Iterator[Evidence]:
    for js in _js(repo):
        if not _app_code(js):
            continue
        hits = [(what, m.start()) for what, p in _SPLITS for m in p.finditer(js.bare)]
        if _REACT_LAZY_IMPORT.search(js.code):
            hits += [("`React.lazy`", m.start()) for m in _LAZY_CALL.finditer(js.bare)]
        if hits:
            what, offset = min(hits, key=lambda h: h[1])
            yield Evidence("FRONTEND-1", f"components load on demand ({what})", js.path,
                           js.line_col(offset)[0])  # fmt: skip


@detector("FRONTEND-4")
def preloading(repo: RepoView) -> Iterator[Evidence]:
    for js in _js(repo):
        name = PurePosixPath(js.path).name
        if _VITE.match(name):
            m = _MODULE_PRELOAD.search(js.bare)
            if m:
                yield Evidence("FRONTEND-4", "Vite `build.modulePreload` configured", js.path,
                               js.line_col(m.start())[0])  # fmt: skip
            continue
        if not _app_code(js):
            continue
        for pattern, text, source in (
            (_LINK_HINT, "`<link rel={}>` resource hint", js.code),
            (_MAGIC_COMMENT, "webpack {} magic comment", js.text),
            (_DATA_PREFETCH, "`{}()` prefetches ahead of navigation", js.bare),
        ):
            m = pattern.search(source)
            if m and (pattern is not _MAGIC_COMMENT or "import(" in js.bare):
                yield Evidence("FRONTEND-4", text.format(m.group(1)), js.path,
                               js.line_col(m.start())[0])  # fmt: skip
                break


_HINTS = ("modulepreload", "preload", "prefetch")
_NOT_PAGES = frozenset({"htmlcov", "coverage", "node_modules", "site", "e2e", "cypress"})


@detector("FRONTEND-4")
def page_resource_hints(repo: RepoView) -> Iterator[Evidence]:
    """`<link rel=preload|prefetch|modulepreload>` in a page the application serves.

    Pages in documentation, tests and coverage reports are not the
    application's, so their links say nothing about it.
    """
    for r in repo.of_kind("html"):
        if not isinstance(r.facts, HtmlFile):
            continue
        folders = {x.lower() for x in PurePosixPath(r.path).parts[:-1]}
        if folders & (_NOT_SHIPPED | _NOT_PAGES):
            continue
        for link in r.facts.links:
            hint = next((h for h in _HINTS if h in link.rel), None)
            if hint and link.href:
                href = link.href.split("?", 1)[0].split("#", 1)[0][
                    :60
                ]  # no query: it may hold a key
                what = f" as {link.as_}" if link.as_ else ""
                yield Evidence(
                    "FRONTEND-4",
                    f"`<link rel={hint}>` hint for `{href}`{what}",
                    r.path,
                    link.line,
                )
                break


def _minified_build(js: JsFile) -> str | None:
    """What says the production build is minified, for a Vite or Next.js config."""
    name = PurePosixPath(js.path).name
    if _MINIFY_OFF.search(js.bare):
        return None
    if _VITE.match(name) and not _LIB_MODE.search(js.bare):
        return "the Vite production build (minified unless `build.minify: false`)"
    if _NEXT.match(name):
        return "the Next.js production build (minified by SWC)"
    return None


@detector("FRONTEND-5")
def minified_and_compressed(repo: RepoView) -> Iterator[Evidence]:
    """Both halves of the item: a minifying build and a server that compresses JS and CSS."""
    builds = [(js, what) for js in _js(repo) if (what := _minified_build(js))]
    if not builds:
        return
    compressed = [e for e in nginx.compression(repo) if e.item_id == "BACKEND-4"]
    if not compressed:
        return
    js, what = builds[0]
    yield Evidence("FRONTEND-5", f"JavaScript and CSS minified by {what}", js.path, None)
    e = compressed[0]
    yield Evidence("FRONTEND-5", e.text, e.path, e.line)


def _jwt_role(token_payload: str) -> str:
    try:
        padded = token_payload + "=" * (-len(token_payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError):
        return ""
    return str(claims.get("role", "")) if isinstance(claims, dict) else ""


def _key_argument(js: JsFile, start: int) -> tuple[str, str]:
    """(code, bare) text of the second argument of the call opened at `start`."""
    depth, args, begin = 0, [], start
    for i in range(start, min(len(js.bare), start + 2000)):
        ch = js.bare[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                args.append((begin + 1, i))
                break
        elif ch == "," and depth == 1:
            args.append((begin + 1, i))
            begin = i
    if len(args) < 2:
        return "", ""
    a, b = args[1]
    return js.code[a:b].strip(), js.bare[a:b].strip()


def _key_kind(js: JsFile, code: str, bare: str) -> str:
    """`anon`, `privileged`, `server` (a server-only variable) or `` (unknown) for a key."""
    if re.fullmatch(r"[A-Za-z_$][\w$]*", bare):
        m = re.search(_ASSIGN.format(name=re.escape(bare)), js.code)
        if m:
            code = f"{bare} {m.group(1)}"
            bare = f"{bare} {_bare_of(js, m.start(1), m.end(1))}"
    jwt = _JWT.search(code)
    if jwt:
        return "anon" if _jwt_role(jwt.group(2)) == "anon" else "privileged"
    if _PRIVILEGED.search(bare):
        env = _ENV_NAME.findall(bare)
        if env and not any(server_secret_name(n) or n.startswith(_PUBLIC) for n in env):
            return "server"  # the bundler never inlines a variable without a public prefix
        return "privileged"
    return "anon" if _ANON.search(bare) else ""


def _bare_of(js: JsFile, start: int, end: int) -> str:
    return js.bare[start:end]


@detector("SECRETS-4")
def browser_supabase_key(repo: RepoView) -> Iterator[Evidence]:
    """The browser's Supabase client gets the anon key, and no browser code gets another."""
    anon: list[Evidence] = []
    for js in _js(repo):
        if (
            not _SUPABASE_IMPORT.search(js.code)
            or not _app_code(js)
            or _SERVER.search(js.path)
            or _SERVER_ONLY.search(js.code)
        ):
            continue
        for m in _CREATE_CLIENT.finditer(js.bare):
            code, bare = _key_argument(js, m.end() - 1)
            if not bare:
                continue  # a wrapper of our own (`createClient()`) or its definition
            kind = _key_kind(js, code, bare)
            if kind == "server":
                continue
            if kind != "anon":
                return
            anon.append(
                Evidence(
                    "SECRETS-4",
                    "the browser's Supabase client gets the anon key only (row level security "
                    "decides what it reads)",
                    js.path,
                    js.line_col(m.start())[0],
                )
            )
    yield from anon[:1]


def _shipped(path: str) -> bool:
    """In a frontend's asset folder, and not in documentation or repository metadata."""
    folders = {x.lower() for x in PurePosixPath(path).parts[:-1]}
    return bool(_ASSET_DIRS & folders) and not folders & _NOT_SHIPPED


@detector("FRONTEND-2")
def image_sizes(repo: RepoView) -> Iterator[Evidence]:
    """Every image the frontend ships was measured under the size limit (FE006's threshold)."""
    assets = [
        Asset(r.facts.path, r.facts.size)
        for r in repo.results
        if isinstance(r.facts, BinaryFile) and r.facts.path.lower().endswith(IMAGE_SUFFIXES)
    ]
    shipped = [a for a in assets if _shipped(a.path)]
    if shipped and not oversized_assets(shipped):
        largest = max(shipped, key=lambda a: a.size)
        yield Evidence(
            "FRONTEND-2",
            f"every image shipped with the frontend ({len(shipped)}) is under "
            f"{IMAGE_LIMIT_BYTES // 1024} KB (largest: {largest.size // 1024} KB)",
            largest.path,
        )


_DB_CLIENTS = re.compile(
    r"""(?:from\s*|require\s*\(\s*|import\s*)["'](@supabase/(?:supabase-js|ssr|auth-helpers-[\w-]+)|"""
    r"""@prisma/client|pg|postgres|mysql2(?:/promise)?|mongoose|mongodb|drizzle-orm(?:/[\w-]+)?|"""
    r"""knex|typeorm|sequelize|kysely|@neondatabase/serverless|@planetscale/database)["']"""
)


@detector()
def database_scope(repo: RepoView) -> Iterator[Evidence]:
    """A JS/TS database client (Supabase included) means the application has a database."""
    for js in _js(repo):
        m = _DB_CLIENTS.search(js.code)
        if m and not _TEST.search(js.path):
            yield Evidence(SCOPE + "database", f"`{m.group(1)}` client", js.path,
                           js.line_col(m.start())[0])  # fmt: skip
            return
