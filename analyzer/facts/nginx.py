"""nginx configurations as nginx reads them: every `include` expanded, servers in their blocks.

Include paths name the container's filesystem (/etc/nginx/conf.d/*.conf); they are matched
against repository files by their trailing path components. An include that matches nothing
in the repository (other than nginx's stock files such as mime.types) could set anything, so
the blocks it reaches are marked opaque. Configurations for development or tests are left out:
they are not what production serves. The nginx rules, the checklist evidence and the app/proxy
view (analyzer.facts.edges) all read the one tree built here.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from analyzer.core.model import FileResult
from analyzer.core.vocabulary import CSP, HSTS, SECURITY_HEADERS
from analyzer.facts.repo import shared
from analyzer.parsers.nginx import Directive, NginxConfig

KIND = "nginx"

# Stock files of nginx packages and images: they set MIME types and FastCGI
# parameters, never headers, compression or limits.
_STOCK_INCLUDES = re.compile(
    r"(?:^|/)(?:mime\.types|(?:fastcgi|uwsgi|scgi|proxy)_params|fastcgi\.conf|"
    r"koi-(?:utf|win)|win-utf|modules-enabled/.*|snippets/fastcgi-php\.conf|"
    r"options-ssl-nginx\.conf)$"
)

_NOT_PRODUCTION = re.compile(
    r"(?:^|/)(?:tests?|_?integration-tests?|e2e|fixtures?)/|"
    r"(?:^|[/._-])(?:dev|development|local|test|testing)(?:[._-][^/]*)?\.conf$",
    re.IGNORECASE,
)

PASS_DIRECTIVES = (
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "grpc_pass",
    "scgi_pass",
    "memcached_pass",
)

_REDIRECT_CODES = {"301", "302", "303", "307", "308"}


@dataclass(frozen=True)
class Node:
    """A directive where it stands in the expanded tree, with the file it came from."""

    name: str
    args: tuple[str, ...]
    path: str
    line: int
    column: int
    children: tuple[Node, ...] | None
    opaque: bool = False  # its block includes a file the repository does not hold

    def all(self, name: str) -> list[Node]:
        return [c for c in self.children or () if c.name == name]

    def first(self, name: str) -> Node | None:
        found = self.all(name)
        return found[0] if found else None

    def walk(self) -> Iterator[Node]:
        for c in self.children or ():
            yield c
            yield from c.walk()


@dataclass(frozen=True)
class Server:
    """A `server` block and the blocks around it (outermost first)."""

    node: Node
    parents: tuple[Node, ...]  # the `http` block, when the repository has it

    @property
    def chain(self) -> tuple[Node, ...]:
        return (*self.parents, self.node)

    @property
    def opaque(self) -> bool:
        return any(n.opaque for n in self.chain)

    def label(self) -> str:
        names = [a for n in self.node.all("server_name") for a in n.args]
        listens = [n.args[0] for n in self.node.all("listen") if n.args]
        name = names[0] if names and names[0] not in ("_", '""', "") else None
        where = f'"{name}"' if name else f"listening on {', '.join(listens) or '80'}"
        return f"server {where}"

    def ident(self) -> str:
        names = ",".join(a for n in self.node.all("server_name") for a in n.args)
        listens = ",".join(n.args[0] for n in self.node.all("listen") if n.args)
        return f"server[{names}|{listens}]"

    def locations(self) -> list[Node]:
        """Every location of the server, nested ones included."""
        out: list[Node] = []

        def visit(node: Node) -> None:
            for c in node.children or ():
                if c.name == "location":
                    out.append(c)
                    visit(c)
                elif c.name == "if":
                    visit(c)

        visit(self.node)
        return out

    def effective(self, name: str) -> Node | None:
        """The directive as the server level sees it: its own, else the http block's."""
        for ctx in reversed(self.chain):
            found = ctx.all(name)
            if found:
                return found[-1]
        return None

    def anywhere(self, *names: str) -> bool:
        """Set in the server (locations included) or in the blocks around it."""
        if any(p.first(n) for p in self.parents for n in names):
            return True
        return any(d.name in names for d in self.node.walk())

    @property
    def tls(self) -> bool:
        for listen in self.node.all("listen"):
            if "ssl" in listen.args or "quic" in listen.args or listen_port(listen) == "443":
                return True
        return self.node.first("ssl_certificate") is not None and any(
            a == "on" for n in self.node.all("ssl") for a in n.args
        )

    @property
    def proxies(self) -> bool:
        return any(d.name in PASS_DIRECTIVES for d in self.node.walk())

    @property
    def serving(self) -> bool:
        """Answers requests with content: not a redirect, `return 444` or catch-all server."""
        if self.node.first("return") or _rewrites_all(self.node):
            return False
        locs = [loc for loc in self.locations() if not is_acme(loc)]
        if locs:
            return any(not loc.first("return") and not _rewrites_all(loc) for loc in locs)
        return any(
            self.node.first(n) for n in ("root", "alias", *PASS_DIRECTIVES, "try_files")
        ) or any(p.first("root") for p in self.parents)


def listen_port(listen: Node) -> str:
    first = listen.args[0] if listen.args else "80"
    if first.startswith("unix:"):
        return ""
    port = first.rsplit(":", 1)[-1] if ":" in first and not first.endswith("]") else first
    return port if port.isdigit() else "80"


def is_acme(loc: Node) -> bool:
    return any(".well-known" in a for a in loc.args)


def _rewrites_all(node: Node) -> bool:
    return any(
        len(r.args) >= 3
        and r.args[0] in ("^", "^(.*)$", "^/(.*)$", "^/?(.*)$", ".*", "^.*$")
        and r.args[-1] in ("permanent", "redirect")
        for r in node.all("rewrite")
    )


@dataclass(frozen=True)
class Tree:
    servers: tuple[Server, ...]
    tls_anywhere: bool

    @staticmethod
    def build(results: Sequence[FileResult]) -> Tree:
        configs = {r.path: r.facts for r in results if isinstance(r.facts, NginxConfig)}
        every_path = {r.path for r in results}
        resolver = _Resolver(configs, every_path)
        included = resolver.included_files()
        servers: list[Server] = []
        for path in sorted(configs):
            if path in included or _NOT_PRODUCTION.search(path):
                continue
            top = resolver.expand(path, configs[path].directives, (path,))
            root = Node("", (), path, 0, 0, top, opaque=any(n.name == "include" for n in top))
            http = [n for n in top if n.name == "http"]
            if http:
                for block in http:
                    servers.extend(Server(s, (block,)) for s in block.all("server"))
            else:  # a conf.d file: nginx's own http block (not in the repository) includes it
                servers.extend(Server(s, (root,)) for s in root.all("server"))
        return Tree(tuple(servers), any(s.tls for s in servers))

    def serving(self) -> list[Server]:
        return [s for s in self.servers if s.serving]


class _Resolver:
    def __init__(self, configs: dict[str, NginxConfig], every_path: set[str]) -> None:
        self.configs = configs
        self.every_path = sorted(every_path)
        self._pure: list[tuple[str, PurePosixPath]] | None = None
        self._resolved: dict[tuple[str, str], tuple[list[str], bool]] = {}

    def included_files(self) -> set[str]:
        out: set[str] = set()
        for path, cfg in self.configs.items():
            for d in walk_directives(cfg.directives):
                if d.name == "include" and d.args:
                    matched, _ = self.resolve(path, d.args[0])
                    out.update(m for m in matched if m != path)
        return out

    def resolve(self, includer: str, pattern: str) -> tuple[list[str], bool]:
        """(repository files the include names, whether it is known to add nothing else)."""
        key = (includer, pattern)
        if key not in self._resolved:  # each include is resolved twice: to list and to expand
            self._resolved[key] = self._resolve(includer, pattern)
        found, complete = self._resolved[key]
        return list(found), complete

    def _resolve(self, includer: str, pattern: str) -> tuple[list[str], bool]:
        if _STOCK_INCLUDES.search(pattern):
            return [], True
        if "$" in pattern:
            return [], False
        base = posixpath.dirname(includer)
        parts = [p for p in pattern.split("/") if p not in ("", ".")]
        candidates: list[str] = []
        if not pattern.startswith("/"):
            for d in _ancestors(base):
                full = posixpath.normpath(posixpath.join(d, *parts)) if parts else d
                candidates = [p for p in self.every_path if _glob(p, full)]
                if candidates:
                    break
        if not candidates:
            candidates = self._by_suffix(base, parts)
        parsed = sorted(c for c in candidates if c in self.configs)
        if not candidates:  # a glob of whole files the image supplies adds servers, not settings
            return [], bool(parts) and "*" in parts[-1]
        return parsed, len(parsed) == len(candidates)

    def _named(self, last: str) -> list[tuple[str, PurePosixPath]]:
        """Paths whose file name can match `last` (a name or a glob): the only ones to match."""
        if self._pure is None:
            self._pure = [(p, PurePosixPath(p)) for p in self.every_path]
            self._by_name: dict[str, list[tuple[str, PurePosixPath]]] = {}
            for p, pure in self._pure:
                self._by_name.setdefault(pure.name, []).append((p, pure))
        if not any(c in last for c in "*?["):
            return self._by_name.get(last, [])
        return [(p, pure) for p, pure in self._pure if fnmatch.fnmatchcase(pure.name, last)]

    def _by_suffix(self, base: str, parts: list[str]) -> list[str]:
        """Files ending with the include's last components, nearest to the includer first."""
        for k in range(len(parts) - 1):
            suffix = "/".join(parts[k:])
            matches = [p for p, pure in self._named(parts[-1]) if pure.match(suffix)]
            for d in _ancestors(base) if matches else []:
                near = [m for m in matches if d in ("", ".") or m.startswith(d + "/")]
                if near:
                    return near
        return []

    def expand(
        self, path: str, directives: tuple[Directive, ...], stack: tuple[str, ...]
    ) -> tuple[Node, ...]:
        out: list[Node] = []
        for d in directives:
            if d.name == "include" and d.args:
                files, complete = self.resolve(path, d.args[0])
                for f in files:
                    if f in stack:
                        continue
                    out.extend(self.expand(f, self.configs[f].directives, (*stack, f)))
                if not complete:
                    out.append(Node("include", d.args, path, d.line, d.column, None))
                continue
            children = None if d.block is None else self.expand(path, d.block, stack)
            opaque = children is not None and any(c.name == "include" for c in children)
            out.append(Node(d.name, d.args, path, d.line, d.column, children, opaque))
        return tuple(out)


def _ancestors(path: str) -> list[str]:
    out = []
    while True:
        out.append(path)
        if path in ("", "."):
            return out
        path = posixpath.dirname(path)


def _glob(path: str, pattern: str) -> bool:
    if pattern.count("/") != path.count("/"):
        return False
    return PurePosixPath(path).match(pattern)


def walk_directives(directives: tuple[Directive, ...]) -> Iterator[Directive]:
    for d in directives:
        yield d
        if d.block:
            yield from walk_directives(d.block)


@shared
def tree_of(results: Sequence[FileResult]) -> Tree:
    """The servers of the repository, built once for every nginx rule and detector."""
    return Tree.build(results)


def headers_added(node: Node) -> set[str] | None:
    """Header names a block sets itself (add_header, more_set_headers); None when it sets none."""
    names: set[str] = set()
    own = False
    for c in node.children or ():
        if c.name == "add_header" and c.args:
            own = True
            names.add(c.args[0].lower())
        elif c.name == "more_set_headers":
            own = True
            names.update(a.split(":", 1)[0].strip().lower() for a in c.args if ":" in a)
    if not own:
        return None
    if any(_frame_ancestors(c) for c in node.children or ()):
        names.add("x-frame-options")  # CSP frame-ancestors supersedes X-Frame-Options
    return names


def _frame_ancestors(node: Node) -> bool:
    return (
        node.name in ("add_header", "more_set_headers")
        and any(a.lower().startswith(CSP) for a in node.args[:1])
        and any("frame-ancestors" in a for a in node.args)
    )


def inherited_headers(chain: Sequence[Node]) -> set[str]:
    """Headers nginx sends at the innermost block of `chain`: the nearest block that sets any."""
    for node in reversed(chain):
        own = headers_added(node)
        if own is not None:
            return own
    return set()


@dataclass(frozen=True)
class HeaderFacts:
    """What one serving server sends, for rules that also look at the application."""

    server: Server
    sent: frozenset[str]  # headers every response of the server carries
    missing: tuple[str, ...]  # wanted headers some response lacks
    unknown: bool  # an include outside the repository could set them


def header_facts(results: Sequence[FileResult]) -> list[HeaderFacts]:
    out = []
    for s in tree_of(results).serving():
        wanted = [h for h in (*SECURITY_HEADERS, CSP) if h != HSTS or s.tls]
        level = inherited_headers(s.chain)
        responses = [
            inherited_headers((*s.chain, *location_chain(s, loc))) for loc in s.locations()
        ]
        every = set.intersection(*responses) if responses else set()
        # Set at server level counts (a location dropping it is NGX005's finding), and so
        # does a header every location sets for itself.
        missing = tuple(h for h in wanted if h not in level and h not in every)
        out.append(HeaderFacts(s, frozenset(level | every), missing, s.opaque))
    return out


def location_chain(server: Server, target: Node) -> list[Node]:
    """The blocks from the server (excluded) down to `target` (included)."""

    def search(node: Node, trail: list[Node]) -> list[Node] | None:
        for c in node.children or ():
            if c.name not in ("location", "if"):
                continue
            if c is target:
                return [*trail, c]
            found = search(c, [*trail, c])
            if found is not None:
                return found
        return None

    return search(server.node, []) or [target]


def server_gzips(s: Server) -> bool:
    """gzip on at server level or above, in some location, or precompressed/brotli files."""
    gzip = s.effective("gzip")
    return (
        (gzip is not None and gzip.args[:1] == ("on",))
        or s.anywhere("gzip_static", "brotli", "brotli_static")
        or any(d.name == "gzip" and d.args[:1] == ("on",) for d in s.node.walk())
    )
