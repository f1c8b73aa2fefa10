"""Evidence in nginx configurations: compression, security headers, TLS, limits, caching.

Servers are judged as the nginx rules judge them (analyzer.facts.nginx.Tree):
includes expanded, development configs left out, redirect-only servers not
serving anything. A claim about a property of servers holds for every serving
server the repository defines fully; a server reaching an include outside the
repository is not held against the claim (it may set anything), but it never
makes the claim on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from analyzer.core.model import Evidence
from analyzer.core.vocabulary import CSP, SECURITY_HEADERS
from analyzer.evidence.core import detector
from analyzer.facts.nginx import Node, Server, header_facts, tree_of
from analyzer.facts.repo import RepoView

_JS_TYPES = {"application/javascript", "text/javascript", "application/x-javascript"}
_STRONG_TLS = {"TLSv1.2", "TLSv1.3"}
_NO_CACHE = {"-1", "off", "epoch", "0"}


def _serving(repo: RepoView) -> list[Server]:
    return tree_of(repo.results).serving()


def _every(
    servers: Sequence[Server], proof: Callable[[Server], Node | None]
) -> list[tuple[Server, Node]]:
    """(server, evidence) for each server, or [] when a fully known server lacks it."""
    found: list[tuple[Server, Node]] = []
    for s in servers:
        node = proof(s)
        if node is not None:
            found.append((s, node))
        elif not s.opaque:
            return []
    return found


def _at(item: str, text: str, node: Node) -> Evidence:
    return Evidence(item, text, node.path, node.line)


def _gzip(s: Server) -> Node | None:
    gzip = s.effective("gzip")
    if gzip is None or gzip.args[:1] != ("on",):
        return None
    types_node = s.effective("gzip_types")
    types = {t.lower() for t in types_node.args} if types_node else set()
    if "*" in types or ("text/css" in types and types & _JS_TYPES):
        return types_node
    return None


@detector("BACKEND-4")
def compression(repo: RepoView) -> Iterator[Evidence]:
    """FRONTEND-5 also needs a minified build: analyzer.evidence.frontend joins the two."""
    found = _every(_serving(repo), _gzip)
    if found:
        s, node = found[0]
        yield _at(
            "BACKEND-4",
            f"nginx compresses responses, JavaScript and CSS included (`gzip_types`, {s.label()})",
            node,
        )


def _header_node(s: Server, name: str) -> Node | None:
    for n in (*s.parents, s.node, *s.node.walk()):
        for c in n.children or ():
            if c.name == "add_header" and c.args[:1] and c.args[0].lower() == name:
                return c
            if c.name == "more_set_headers" and any(
                a.split(":", 1)[0].strip().lower() == name for a in c.args
            ):
                return c
    return None


@detector("DATA-3", "DATA-4")
def security_headers(repo: RepoView) -> Iterator[Evidence]:
    facts = header_facts(repo.results)
    for item, wanted, show in (
        ("DATA-3", (CSP,), CSP),
        ("DATA-4", SECURITY_HEADERS, "x-content-type-options"),
    ):
        if any(h in f.missing for f in facts if not f.unknown for h in wanted):
            continue
        for f in facts:
            node = _header_node(f.server, show)
            if node is None or any(h in f.missing for h in wanted):
                continue
            sent = ", ".join(h.title() for h in wanted if h in f.sent)
            yield _at(item, f"nginx sends {sent} ({f.server.label()})", node)
            break


@detector("DATA-2")
def tls(repo: RepoView) -> Iterator[Evidence]:
    tls_servers = [s for s in tree_of(repo.results).servers if s.tls]
    protocols = [(s, s.effective("ssl_protocols")) for s in tls_servers]
    if protocols and all(
        p is not None and p.args and set(p.args) <= _STRONG_TLS for _, p in protocols
    ):
        s, p = protocols[0]
        assert p is not None
        yield _at("DATA-2", f"nginx terminates TLS with {' '.join(p.args)} only ({s.label()})", p)


def _limit_req(s: Server) -> Node | None:
    return _anywhere(s, "limit_req")


def _anywhere(s: Server, name: str) -> Node | None:
    """The first `name` directive in the blocks around the server or anywhere inside it."""
    for p in s.parents:
        found = p.first(name)
        if found is not None:
            return found
    return next((n for n in s.node.walk() if n.name == name), None)


@detector("ATTACK-1")
def rate_limit(repo: RepoView) -> Iterator[Evidence]:
    proxies = [s for s in _serving(repo) if s.proxies]
    found = _every(proxies, _limit_req)
    if found:
        s, node = found[0]
        yield _at("ATTACK-1", f"nginx rate-limits requests (`limit_req`, {s.label()})", node)


def _size_limit(s: Server) -> Node | None:
    body = s.effective("client_max_body_size")
    if body is not None and body.args[:1] != ("0",):
        return body
    return _anywhere(s, "limit_conn")


@detector("ATTACK-5")
def request_limits(repo: RepoView) -> Iterator[Evidence]:
    found = _every(_serving(repo), _size_limit)
    if found:
        s, node = found[0]
        what = " ".join((node.name, *node.args))
        yield _at("ATTACK-5", f"nginx limits requests (`{what}`, {s.label()})", node)


def _long_cache(node: Node) -> bool:
    if node.name == "expires":
        args = [a for a in node.args if a != "modified"]
        return bool(args) and args[0] not in _NO_CACHE and not args[0].startswith("-")
    if node.name == "add_header" and node.args[:1] and node.args[0].lower() == "cache-control":
        value = " ".join(node.args[1:]).lower()
        if "no-store" in value or "no-cache" in value:
            return False
        return any(
            part.strip().startswith("max-age=") and part.strip() not in ("max-age=0",)
            for part in value.strip("\"'").split(",")
        )
    return False


@detector("FRONTEND-3")
def static_caching(repo: RepoView) -> Iterator[Evidence]:
    for s in _serving(repo):
        for loc in s.locations():
            if loc.first("proxy_pass") is not None:
                continue
            for c in loc.children or ():
                if _long_cache(c):
                    where = " ".join(loc.args)
                    yield _at(
                        "FRONTEND-3",
                        f"static files under `{where}` are cached by browsers "
                        f"(`{' '.join((c.name, *c.args))}`, {s.label()})",
                        c,
                    )
                    return
