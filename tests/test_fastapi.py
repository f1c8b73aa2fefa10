"""The FastAPI application model: routers wired across modules, aliases, prefixes, dependencies."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.core.model import SourceFile
from analyzer.facts.fastapi.app import AppModel
from analyzer.facts.fastapi.module import module_facts
from analyzer.parsers.python import parse
from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, write_tree


def _model(files: dict[str, str]) -> AppModel:
    return AppModel.build(module_facts(parse(SourceFile(p, "python", t))) for p, t in files.items())


def _paths(model: AppModel) -> dict[str, str | None]:
    return {fr.route.function: fr.path for fr in model.routes}


NESTED = {
    "src/svc/main.py": (
        "import fastapi\n"
        "from .api import api_router as r\n"
        "from svc.config import settings\n"
        "app = fastapi.FastAPI()\n"
        "app.include_router(r, prefix=settings.API_PREFIX)\n"
    ),
    "src/svc/config.py": (
        "from pydantic_settings import BaseSettings\n"
        "class Settings(BaseSettings):\n"
        "    API_PREFIX: str = '/api/v1'\n"
        "settings = Settings()\n"
    ),
    "src/svc/api/__init__.py": (
        "from fastapi import APIRouter as R\n"
        "from . import items\n"
        "from .users import router as users_router\n"
        "api_router = R(prefix='/x')\n"
        "api_router.include_router(items.router, prefix='/items')\n"
        "api_router.include_router(users_router)\n"
    ),
    "src/svc/api/items.py": (
        "from fastapi import APIRouter\n"
        "router = APIRouter(prefix='/v')\n"
        "@router.get('/{item_id}')\n"
        "def read_item(item_id: int) -> dict: ...\n"
    ),
    "src/svc/api/users.py": (
        "from fastapi import APIRouter\n"
        "router = APIRouter(prefix='/users')\n"
        "@router.api_route('/me', methods=['GET', 'PATCH'])\n"
        "def me() -> dict: ...\n"
    ),
}


def test_full_paths_follow_aliases_relative_imports_and_nested_prefixes() -> None:
    model = _model(NESTED)
    assert _paths(model) == {"read_item": "/api/v1/x/items/v/{item_id}", "me": "/api/v1/x/users/me"}
    assert not model.unresolved_includes
    (me,) = [fr for fr in model.routes if fr.route.function == "me"]
    assert me.route.methods == ("GET", "PATCH")


def test_unknown_prefix_leaves_the_path_unresolved_but_named() -> None:
    files = dict(NESTED)
    files["src/svc/main.py"] = files["src/svc/main.py"].replace(
        "settings.API_PREFIX", "get_prefix()"
    )
    model = _model(files)
    (item,) = [fr for fr in model.routes if fr.route.function == "read_item"]
    assert item.path is None and item.loose_path == "/x/items/v/{item_id}"


def test_dependencies_from_every_level_and_annotated_aliases_count() -> None:
    model = _model(
        {
            "app/deps.py": (
                "from typing import Annotated\n"
                "from fastapi import Depends\n"
                "def load_principal() -> dict: ...\n"
                "Principal = Annotated[dict, Depends(load_principal)]\n"
            ),
            "app/main.py": (
                "from fastapi import Depends, FastAPI, APIRouter\n"
                "from app.deps import Principal\n"
                "app = FastAPI(dependencies=[Depends(lambda: None)])\n"
                "router = APIRouter(dependencies=[Depends(router_dep)])\n"
                "@router.get('/a', dependencies=[Depends(route_dep)])\n"
                "def a(p: Principal, q: int = 1) -> dict: ...\n"
                "app.include_router(router, dependencies=[Depends(include_dep)])\n"
            ),
        }
    )
    (a,) = model.routes
    targets = {d.target for d in a.deps}
    assert {
        "app.main.router_dep",
        "app.main.route_dep",
        "app.main.include_dep",
        "app.deps.load_principal",
    } <= targets
    assert "q" in [p.name for p in a.route.params]


def test_query_bounds_and_body_types() -> None:
    model = _model(
        {
            "app/main.py": (
                "from typing import Annotated, Any\n"
                "from fastapi import FastAPI, Query, Body\n"
                "app = FastAPI()\n"
                "@app.post('/x/{id}')\n"
                "def x(id: int, a: Annotated[int, Query(le=5)] = 1, b: int = Query(3),\n"
                "      c: dict[str, Any] = Body(...), d: Any = None, e: str = Query('')) -> None: ...\n"
            )
        }
    )
    params = {p.name: p for p in model.routes[0].route.params}
    assert set(params) == {"a", "b", "c", "d", "e"}
    assert params["a"].bounded and not params["b"].bounded
    assert params["c"].body_like and params["d"].body_like and not params["e"].body_like


def test_whole_table_reads_and_their_bounds() -> None:
    model = _model(
        {
            "app/main.py": (
                "from fastapi import FastAPI\n"
                "app = FastAPI()\n"
                "@app.get('/a')\n"
                "def a(db): return db.query(A).all()\n"
                "@app.get('/b')\n"
                "def b(db):\n"
                "    stmt = select(B).limit(10)\n"
                "    return db.exec(stmt).all()\n"
                "@app.get('/c')\n"
                "async def c(db): return await db.calls.find({}).to_list(None)\n"
                "@app.get('/d')\n"
                "async def d(db): return await db.calls.find({}).to_list(100)\n"
            )
        }
    )
    found = {fr.route.function: fr.route.whole_table for fr in model.routes}
    assert found["a"] is not None and found["c"] is not None
    assert found["b"] is None and found["d"] is None


def test_scan_reports_route_rules_through_the_whole_repository(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.py": (
                "from fastapi import FastAPI\n"
                "from app.routers import open_, closed\n"
                "app = FastAPI()\n"
                "app.include_router(open_.router)\n"
                "app.include_router(closed.router)\n"
            ),
            "app/routers/__init__.py": "",
            "app/routers/open_.py": (
                "from fastapi import APIRouter\n"
                "router = APIRouter(prefix='/open')\n"
                "@router.get('')\n"
                "def listing() -> list: ...\n"
            ),
            "app/routers/closed.py": (
                "from fastapi import APIRouter, Security\n"
                "from fastapi.security import APIKeyHeader\n"
                "key = APIKeyHeader(name='x-api-key')\n"
                "router = APIRouter(prefix='/closed', dependencies=[Security(key)])\n"
                "@router.get('')\n"
                "def listing2() -> list: ...\n"
            ),
        },
    )
    found = {(f.code, f.path, f.line) for f in scan(tmp_path, AUDIT).findings if f.code == "API001"}
    assert found == {("API001", "app/routers/open_.py", 4)}


def test_tests_and_scripts_are_not_judged(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "tests/test_app.py": (
                "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"
                "@app.get('/x')\ndef x(): ...\n"
            )
        },
    )
    assert not [f for f in scan(tmp_path, AUDIT).findings if f.code.startswith("API")]


def test_public_routes_from_config_need_no_auth(tmp_path: Path) -> None:
    from analyzer.core.config import Config
    from analyzer.pipeline.scan import scan

    app = (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.get("/tags")\ndef tags():\n    return []\n\n\n'
        '@app.get("/calls")\ndef calls():\n    return []\n'
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(app)

    def unauthenticated(config: Config) -> list[str]:
        return [f.message for f in scan(tmp_path, config).findings if f.code == "API001"]

    assert len(unauthenticated(AUDIT)) == 2
    remaining = unauthenticated(Config(public_routes=("/tags",), profile="audit"))
    assert len(remaining) == 1 and "/calls" in remaining[0]


@pytest.mark.parametrize("library", ["pyrate_limiter", "fastapi_throttle"])
def test_every_rate_limit_library_counts_for_the_proxy_rule_and_the_checklist(
    tmp_path: Path, library: str
) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.py": f"import {library}\nfrom fastapi import FastAPI\napp = FastAPI()\n",
            "nginx/site.conf": "server {\n  location / { proxy_pass http://api:8000; }\n}\n",
        },
    )
    result = scan(tmp_path, AUDIT)
    assert not [f for f in result.findings if f.code == "NGX008"]  # the app limits rates
    assert [e.text for e in result.evidence if e.item_id == "ATTACK-1"] == [
        f"Rate limiting: `{library}`"
    ]
