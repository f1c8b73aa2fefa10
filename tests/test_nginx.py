"""nginx rules through the real scan: includes, add_header inheritance, parse errors."""

from __future__ import annotations

from pathlib import Path

from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, write_tree

PROXY = "location / { proxy_pass http://api:8000; }"


def _found(
    tmp_path: Path, files: dict[str, str], prefix: str = "NGX"
) -> list[tuple[str, str, int | None]]:
    write_tree(tmp_path, files)
    return [
        (f.code, f.path, f.line)
        for f in scan(tmp_path, AUDIT).findings
        if f.code.startswith(prefix)
    ]


def test_server_in_an_included_file_is_judged_once_with_the_http_block(tmp_path: Path) -> None:
    found = _found(
        tmp_path,
        {
            "nginx/nginx.conf": "events {}\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n}\n",
            "nginx/conf.d/a.conf": f"server {{\n  listen 80;\n  {PROXY}\n}}\n",
            "nginx/conf.d/b.conf": "server_tokens off;\n",
        },
    )
    assert ("NGX001", "nginx/conf.d/a.conf", 1) in found
    assert [c for c, _, _ in found].count("NGX001") == 1
    assert not [f for f in found if f[0] == "NGX007"]  # b.conf sets it for the http block


def test_include_resolved_by_trailing_components_and_relative_path(tmp_path: Path) -> None:
    headers = (
        "add_header X-Content-Type-Options nosniff;\nadd_header X-Frame-Options DENY;\n"
        "add_header Referrer-Policy no-referrer;\nadd_header Content-Security-Policy \"default-src 'self'\";\n"
    )
    found = _found(
        tmp_path,
        {
            "deploy/nginx/site.conf": f"server {{\n  include snippets/headers.conf;\n  {PROXY}\n}}\n",
            "deploy/nginx/snippets/headers.conf": headers,
        },
    )
    assert not [f for f in found if f[0] in ("NGX003", "NGX004")]


def test_include_outside_the_repository_silences_absence_rules(tmp_path: Path) -> None:
    found = _found(
        tmp_path,
        {
            "nginx/conf.d/app.conf": f"server {{\n  include /etc/nginx/extra/hardening.conf;\n  {PROXY}\n}}\n"
        },
    )
    assert not [f for f in found if f[0] in ("NGX001", "NGX003", "NGX004", "NGX007", "NGX008")]


def test_location_with_own_add_header_drops_server_headers(tmp_path: Path) -> None:
    conf = (
        "server {\n"
        "  add_header X-Frame-Options DENY always;\n"
        "  add_header X-Content-Type-Options nosniff always;\n"
        "  location /a/ {\n"
        "    add_header Cache-Control no-store;\n"
        "    proxy_pass http://api:8000;\n"
        "  }\n"
        "  location /b/ { proxy_pass http://api:8000; }\n"
        "}\n"
    )
    found = _found(tmp_path, {"nginx/conf.d/app.conf": conf})
    assert ("NGX005", "nginx/conf.d/app.conf", 5) in found
    assert [c for c, _, _ in found].count("NGX005") == 1
    missing = [f for f in found if f[0] == "NGX003"]
    assert missing == [("NGX003", "nginx/conf.d/app.conf", 1)]  # Referrer-Policy only


def test_redirect_only_and_dev_configs_are_not_judged(tmp_path: Path) -> None:
    found = _found(
        tmp_path,
        {
            "nginx/conf.d/redirect.conf": "server {\n  listen 80;\n  return 301 https://$host$request_uri;\n}\n",
            "nginx/nginx.dev.conf": f"events {{}}\nhttp {{ server {{ {PROXY} }} }}\n",
        },
    )
    assert found == []


def test_parse_errors_become_notes_with_lines(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "nginx/a.conf": "server {\n  listen 80;\n",
            "nginx/b.conf": "server {\n  listen 80\n}\n",
            "nginx/c.conf": 'server {\n  return 200 "unterminated;\n}\n',
            "nginx/d.conf": "server { listen 80; }\n}\n",
        },
    )
    notes = {(f.path, f.line) for f in scan(tmp_path, AUDIT).findings if f.code == "PR001"}
    assert notes == {
        ("nginx/a.conf", 1),
        ("nginx/b.conf", 3),
        ("nginx/c.conf", 2),
        ("nginx/d.conf", 2),
    }


def test_lua_blocks_and_variables_in_braces_parse(tmp_path: Path) -> None:
    conf = (
        "server {\n"
        "  server_tokens off;\n"
        '  location /lua { content_by_lua_block { ngx.say("}") if x then y() end } }\n'
        '  location /v { return 200 "${host}"; }\n'
        "  client_max_body_size 0;\n"
        "}\n"
    )
    found = _found(tmp_path, {"nginx/conf.d/app.conf": conf}, prefix="")
    assert ("NGX011", "nginx/conf.d/app.conf", 5) in found
    assert not [f for f in found if f[0] == "PR001"]


def test_weak_tls_reported_at_the_directive(tmp_path: Path) -> None:
    found = _found(
        tmp_path, {"nginx/nginx.conf": "events {}\nhttp {\n  ssl_protocols TLSv1.1 TLSv1.2;\n}\n"}
    )
    assert ("NGX006", "nginx/nginx.conf", 3) in found
