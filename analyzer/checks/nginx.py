"""nginx rules: compression, security headers, TLS, rate and size limits, caching.

Most rules judge a `server` block with everything that applies to it: the
enclosing `http` block and the files it includes. So they are repository
checks over a tree where every `include` found in the repository is
expanded in place: a server split over nginx.conf, conf.d/app.conf and a
snippets/headers.conf is judged once, as nginx sees it, and a file that is
only included is never judged on its own.

Include paths name the container's filesystem (/etc/nginx/conf.d/*.conf);
they are matched against repository files by their trailing path
components. An include that matches nothing in the repository (other than
nginx's stock files such as mime.types) could set anything, so the rules
about something missing stay silent for the contexts it reaches.

Configurations for development or tests (a `dev`/`local`/`test` part in the
file name or a tests folder) are not judged: they are not what production
serves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from analyzer.checks.registry import file_check, repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.core.vocabulary import ALL, CSP, HEADER_SPELLING, SECURITY_HEADERS
from analyzer.facts.edges import Sides, sides
from analyzer.facts.nginx import (
    KIND,
    PASS_DIRECTIVES,
    Node,
    Server,
    header_facts,
    headers_added,
    inherited_headers,
    is_acme,
    listen_port,
    location_chain,
    server_gzips,
    tree_of,
    walk_directives,
)
from analyzer.parsers.nginx import NginxConfig


def _at(code: str, node: Node, message: str, anchor: str) -> Finding:
    return Finding(code, node.path, message, line=node.line, column=node.column, anchor=anchor)


# --------------------------------------------------------------------------- headers


@repo_check("NGX003", "NGX004")
def missing_security_headers(results: Sequence[FileResult]) -> Iterator[Finding]:
    both = sides(results)
    for facts in header_facts(results):
        if facts.unknown or not facts.missing:
            continue
        s = facts.server
        missing, also = _headers_beyond_app(both, s, facts.missing)
        basic = [HEADER_SPELLING[h] for h in missing if h != CSP]
        if basic:
            yield _at(
                "NGX003",
                s.node,
                f"{s.label()} does not send {', '.join(basic)}{also}",
                f"{s.ident()}:security-headers",
            )
        if CSP in missing:
            yield _at(
                "NGX004",
                s.node,
                f"{s.label()} sends no Content-Security-Policy{also}",
                f"{s.ident()}:csp",
            )


def _headers_beyond_app(
    both: Sides, s: Server, missing: tuple[str, ...]
) -> tuple[tuple[str, ...], str]:
    """Headers a server in front of the app lacks that the app does not send either.

    When neither the app nor any proxy in front of it sends a security header,
    API008 (the app) is the one finding; see analyzer.facts.edges.
    """
    if both.fronting(s.ident()) is None:
        return missing, ""
    app = both.app.headers
    if not app and not both.edge_headers():
        return (), ""
    if ALL in app:
        return (), ""
    return tuple(h for h in missing if h not in app), f" (nor does the app, {both.app.path})"


@repo_check("NGX005")
def header_redefinition(results: Sequence[FileResult]) -> Iterator[Finding]:
    """gixy's add_header_redefinition, limited to the headers that protect users."""
    seen: set[tuple[str, int]] = set()
    for s in tree_of(results).serving():
        for loc in s.locations():
            chain = [*s.chain, *location_chain(s, loc)]
            own = headers_added(loc)
            if own is None or loc.opaque:
                continue
            above = inherited_headers(chain[:-1])
            dropped = [h for h in (*SECURITY_HEADERS, CSP) if h in above and h not in own]
            first = next(
                c for c in loc.children or () if c.name in ("add_header", "more_set_headers")
            )
            if not dropped or (first.path, first.line) in seen:
                continue
            seen.add((first.path, first.line))
            where = " ".join(loc.args)
            yield _at(
                "NGX005",
                first,
                f"location {where} of {s.label()} sets its own add_header, so nginx drops "
                f"the inherited {', '.join(HEADER_SPELLING[h] for h in dropped)} there",
                f"{s.ident()}:location[{where}]:redefinition",
            )


# --------------------------------------------------------------------------- compression


_JS_TYPES = {"application/javascript", "text/javascript", "application/x-javascript"}


@repo_check("NGX001", "NGX002")
def compression(results: Sequence[FileResult]) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    both = sides(results)
    for s in tree_of(results).serving():
        gzip = s.effective("gzip")
        on = gzip is not None and gzip.args[:1] == ("on",)
        if not server_gzips(s):
            # In front of the app: the app's GZipMiddleware counts, and when neither
            # compresses API006 is the one finding (analyzer.facts.edges).
            fronting = both.fronting(s.ident()) is not None
            if not s.opaque and not (fronting and (both.app.gzip or not both.edge_gzip())):
                also = f" (nor does the app, {both.app.path})" if fronting else ""
                yield _at(
                    "NGX001",
                    s.node,
                    f"{s.label()} does not compress responses (no `gzip on`){also}",
                    f"{s.ident()}:gzip",
                )
            continue
        if not on or gzip is None:
            continue
        types_node = s.effective("gzip_types")
        types = {t.lower() for t in types_node.args} if types_node else set()
        lacking = [
            name
            for name, ok in (("CSS", "text/css" in types), ("JavaScript", bool(types & _JS_TYPES)))
            if not ok and "*" not in types
        ]
        place = types_node or gzip
        if lacking and (place.path, place.line) not in seen and not s.opaque:
            seen.add((place.path, place.line))
            yield _at(
                "NGX002",
                place,
                f"gzip_types of {s.label()} leaves {' and '.join(lacking)} uncompressed",
                f"{s.ident()}:gzip_types",
            )


# --------------------------------------------------------------------------- TLS and disclosure

_WEAK_TLS = {"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"}


@file_check(KIND, "NGX006")
def weak_tls(parsed: Any) -> Iterator[Finding]:
    if not isinstance(parsed, NginxConfig):
        return
    for d in walk_directives(parsed.directives):
        if d.name == "ssl_protocols":
            weak = [a for a in d.args if a in _WEAK_TLS]
            if weak:
                yield Finding(
                    "NGX006",
                    parsed.path,
                    f"ssl_protocols allows {', '.join(weak)}, which are broken or deprecated",
                    line=d.line,
                    column=d.column,
                    anchor=f"ssl_protocols:{','.join(weak)}",
                )


@repo_check("NGX007")
def server_tokens(results: Sequence[FileResult]) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    for s in tree_of(results).serving():
        node = s.effective("server_tokens")
        if node is None:
            if not s.opaque:
                yield _at(
                    "NGX007",
                    s.node,
                    f"{s.label()} sends its nginx version (server_tokens is on by default)",
                    f"{s.ident()}:server_tokens",
                )
        elif node.args[:1] != ("off",) and (node.path, node.line) not in seen:
            seen.add((node.path, node.line))
            yield _at(
                "NGX007",
                node,
                f"server_tokens {' '.join(node.args)} sends the nginx version in every response",
                "server_tokens:on",
            )


@repo_check("NGX009")
def plain_http(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Port 80 serving content while the same nginx terminates TLS: users can stay on HTTP."""
    tree = tree_of(results)
    if not tree.tls_anywhere:
        return  # TLS ends before nginx (load balancer, ingress): not judged here
    for s in tree.serving():
        plain = [
            listen
            for listen in s.node.all("listen")
            if listen_port(listen) == "80" and "ssl" not in listen.args
        ]
        if not s.node.all("listen") and not s.tls:
            plain = [s.node]
        if not plain or _redirects_by_if(s.node):
            continue
        yield _at(
            "NGX009",
            plain[0],
            f"{s.label()} serves plain HTTP on port 80 instead of redirecting to HTTPS",
            f"{s.ident()}:http-redirect",
        )


def _redirects_by_if(node: Node) -> bool:
    return any(
        c.name == "if"
        and any("scheme" in a or "x_forwarded_proto" in a or "https" in a for a in c.args)
        and c.first("return") is not None
        for c in node.children or ()
    )


# --------------------------------------------------------------------------- limits


@repo_check("NGX008")
def rate_limit(results: Sequence[FileResult]) -> Iterator[Finding]:
    both = sides(results)
    for s in tree_of(results).serving():
        if s.opaque or not s.proxies or s.anywhere("limit_req"):
            continue
        also = ""
        if both.fronting(s.ident()) is not None:
            # The app's own limiter counts; when neither limits, API013 reports the
            # routes that need it (analyzer.facts.edges).
            if both.app.rate_limit or (not both.edge_rate_limit() and both.app.sensitive_routes):
                continue
            also = f" (nor does the app, {both.app.path})"
        yield _at(
            "NGX008",
            s.node,
            f"{s.label()} proxies to the application without limit_req rate limiting{also}",
            f"{s.ident()}:limit_req",
        )


@file_check(KIND, "NGX011")
def unlimited_body(parsed: Any) -> Iterator[Finding]:
    """`client_max_body_size 0` turns the limit off; nginx's default (1m) is a limit."""
    if not isinstance(parsed, NginxConfig):
        return
    for d in walk_directives(parsed.directives):
        if d.name == "client_max_body_size" and d.args[:1] == ("0",):
            yield Finding(
                "NGX011",
                parsed.path,
                "client_max_body_size 0 accepts request bodies of any size",
                line=d.line,
                column=d.column,
                anchor="client_max_body_size:0",
            )


# --------------------------------------------------------------------------- caching


@repo_check("NGX010")
def static_caching(results: Sequence[FileResult]) -> Iterator[Finding]:
    for s in tree_of(results).serving():
        if s.opaque or s.anywhere("expires") or _sets_cache_control(s):
            continue
        files = [loc for loc in s.locations() if _serves_files(s, loc)]
        if not files and not s.locations() and s.effective("root") and not s.proxies:
            files = [s.node]
        if not files:
            continue
        where = " ".join(files[0].args) if files[0].name == "location" else "/"
        yield _at(
            "NGX010",
            files[0],
            f"{s.label()} serves static files ({where}) without expires or Cache-Control",
            f"{s.ident()}:caching",
        )


def _sets_cache_control(s: Server) -> bool:
    nodes = [*s.parents, s.node, *s.node.walk()]
    return any(
        c.name in ("add_header", "more_set_headers")
        and any(a.lower().startswith("cache-control") for a in c.args[:1])
        for n in nodes
        for c in n.children or ()
    )


def _serves_files(s: Server, loc: Node) -> bool:
    if is_acme(loc) or loc.first("return") or loc.opaque:
        return False
    if any(loc.first(n) for n in PASS_DIRECTIVES) or loc.first("location"):
        return False
    if loc.first("alias") or loc.first("root") or loc.first("try_files"):
        return True
    return s.effective("root") is not None and loc.first("internal") is None
