"""Frontend rules built into prodready (FE001, FE004, FE005), through the real scan.

The semgrep rules (FE002, FE003) are in tests/test_semgrep.py; everything here
runs without semgrep.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.checks.frontend import oversized_images
from analyzer.core.model import SourceFile
from analyzer.facts.frontend import Asset, server_secret_name
from analyzer.parsers.javascript import parse
from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, write_tree

SERVICE_JWT = (  # fabricated: a Supabase service-role JWT's shape, signed with nothing real
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6InF6a2Zod3BsbXhydHZibnNn"
    "eWRhIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImlhdCI6MTcxODAwMDAwMCwiZXhwIjoyMDMzNTc2MDAwfQ."
    "PtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA_2O7"
)


def _found(root: Path, code: str) -> list[tuple[str, int | None]]:
    return [(f.path, f.line) for f in scan(root, AUDIT).findings if f.code == code]


def _routes(n: int, jsx: bool = True) -> str:
    if jsx:
        body = "\n".join(f'      <Route path="/p{i}" element={{<P{i} />}} />' for i in range(n))
        return (
            'import { Routes, Route } from "react-router-dom";\n'
            'import * as pages from "./pages";\n'
            f"export const App = () => (\n    <Routes>\n{body}\n    </Routes>\n);\n"
        )
    body = "\n".join(f'  {{ path: "/p{i}", element: <P{i} /> }},' for i in range(n))
    return (
        'import { createBrowserRouter } from "react-router-dom";\n'
        f"export const router = createBrowserRouter([\n{body}\n]);\n"
    )


# ------------------------------------------------------------------ the tokenizer


def test_tokenizer_blanks_comments_and_strings_keeping_offsets() -> None:
    text = (
        'const a = "x // VITE_A_SECRET"; // VITE_B_SECRET\n'
        "/* VITE_C_SECRET\n */ const r = /a\\/b'/g; const t = `x ${ {k: 'VITE_D'}.k } y`;\n"
        "const d = a / 2 / b; <p>Don't</p> const after = 1;\n"
    )
    js = parse(SourceFile("a.tsx", "js", text))
    assert len(js.code) == len(js.bare) == len(text)
    assert "VITE_A_SECRET" in js.code and "VITE_A_SECRET" not in js.bare
    assert "VITE_B_SECRET" not in js.code and "VITE_C_SECRET" not in js.code
    assert "{k: '" in js.bare and "VITE_D" not in js.bare  # inside ${ } is code again
    assert "const d = a / 2 / b;" in js.bare  # division, not a regex
    assert js.code.count("\n") == text.count("\n")
    assert js.errors == ()


def test_unterminated_comment_is_a_partial_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"src/a.js": "const a = 1;\n/* never closed\n"})
    notes = [(f.code, f.line) for f in scan(tmp_path, AUDIT).findings]
    assert notes == [("PR001", 2)]


# ------------------------------------------------------------------ FE001


def test_public_secret_names() -> None:
    for name in (
        "VITE_SUPABASE_SERVICE_ROLE_KEY",
        "NEXT_PUBLIC_STRIPE_SECRET_KEY",
        "REACT_APP_TWILIO_AUTH_TOKEN",
        "EXPO_PUBLIC_OPENAI_API_KEY",
        "VITE_DATABASE_URL",
        "VITE_GOOGLE_CLIENT_SECRET",
        "VITE_SUPABASE_SERVICE_KEY",
        "VITE_ADMIN_PASSWORD",
    ):
        assert server_secret_name(name), name
    for name in (
        "VITE_SUPABASE_ANON_KEY",
        "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY",
        "VITE_MAPBOX_ACCESS_TOKEN",
        "VITE_PASSWORD_RESET_URL",
        "VITE_PASSWORD_MIN_LENGTH",
        "VITE_API_URL",
        "SUPABASE_SERVICE_ROLE_KEY",  # no public prefix: a backend variable
        "VITE_SECRET_SANTA_URL",
    ):
        assert server_secret_name(name) is None, name


def test_public_secret_in_env_files_and_code(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "web/.env.example": "VITE_SUPABASE_URL=https://x.supabase.co\n"
            "VITE_SUPABASE_SERVICE_ROLE_KEY=\n",
            "web/src/admin.ts": (
                "// import.meta.env.VITE_OLD_SECRET was removed\n"
                "const key = import.meta.env.VITE_SUPABASE_SERVICE_ROLE_KEY;\n"
                "const again = import.meta.env.VITE_SUPABASE_SERVICE_ROLE_KEY;\n"
                'const label = "VITE_STRIPE_SECRET_KEY";\n'
            ),
            "next/lib/pay.js": "const { NEXT_PUBLIC_STRIPE_SECRET_KEY: k } = process.env;\n",
            "web/scripts/seed.mjs": "const key = process.env.VITE_SUPABASE_SERVICE_ROLE_KEY;\n",
        },
    )
    found = sorted(_found(tmp_path, "FE001"))
    # one finding per name and file; a name in a string (a lookup key) counts, in a comment not
    assert found == [
        ("next/lib/pay.js", 1),
        ("web/.env.example", 2),
        ("web/scripts/seed.mjs", 1),
        ("web/src/admin.ts", 2),
        ("web/src/admin.ts", 4),
    ]
    messages = {f.path: f.message for f in scan(tmp_path, AUDIT).findings if f.code == "FE001"}
    assert "inlines it into the JavaScript" in messages["web/src/admin.ts"]
    assert "this script reads it" in messages["web/scripts/seed.mjs"]  # Node: not inlined here


def test_service_role_value_in_public_var_is_one_problem_per_rule(tmp_path: Path) -> None:
    """FE001 at the name, SEC002 at the value: two fixes, and the generic SEC001 yields."""
    write_tree(
        tmp_path,
        {
            "frontend/.env.production": f"VITE_SUPABASE_SERVICE_ROLE_KEY={SERVICE_JWT}\n",
            "frontend/.env.local": "VITE_STRIPE_SECRET_KEY=sk_live_51Hq8yTz9Qm2XwLp4Rk7Vn3Bc\n",
        },
    )
    findings = [f for f in scan(tmp_path, AUDIT).findings if f.code.startswith(("FE", "SEC00"))]
    by_line = sorted((f.path, f.code, f.column) for f in findings if f.code != "SEC003")
    assert by_line == [
        ("frontend/.env.local", "FE001", 1),
        ("frontend/.env.production", "FE001", 1),
        ("frontend/.env.production", "SEC002", 32),
    ]
    local = next(f for f in findings if f.code == "FE001" and f.path.endswith("local"))
    assert "A value is committed here too" in local.message
    assert all("sk_live_51Hq8" not in f.message for f in findings)


# ------------------------------------------------------------------ FE004


def test_many_routes_without_lazy_loading(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/src/App.tsx": _routes(10),
            "admin/src/router.tsx": _routes(12, jsx=False),
            "admin/vite.config.ts": "export default import('vite').then(() => ({}));\n",
        },
    )
    assert sorted(_found(tmp_path, "FE004")) == [
        ("admin/src/router.tsx", 3),
        ("app/src/App.tsx", 5),
    ]


def test_few_routes_or_lazy_anywhere_in_the_source_tree(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "small/src/App.tsx": _routes(9),
            "split/src/App.tsx": _routes(15),
            "split/src/pages/index.ts": (
                'import { lazy } from "react";\n'
                'export const Reports = lazy(() => import("./Reports"));\n'
            ),
            "plain/src/App.tsx": _routes(15).replace("react-router-dom", "./my-router"),
        },
    )
    assert _found(tmp_path, "FE004") == []


def test_routes_in_comments_and_strings_are_not_counted(tmp_path: Path) -> None:
    text = _routes(4) + "/*\n" + _routes(8).split("export", 1)[1] + "*/\n"
    text += "const doc = '" + '<Route path="/x" /> ' * 8 + "';\n"
    write_tree(tmp_path, {"src/App.tsx": text})
    assert _found(tmp_path, "FE004") == []


# ------------------------------------------------------------------ FE005


def test_minification_off_in_build_configs(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "a/vite.config.ts": "export default {\n  build: {\n    cssMinify: false,\n  },\n};\n",
            "b/vite.config.mjs": 'export default { "build": { outDir: "x", minify: false } };\n',
            "c/webpack.config.js": "module.exports = {\n  optimization: {minimize: false},\n};\n",
            "d/webpack.production.js": "module.exports = { mode: 'development' };\n",
            "e/next.config.js": "module.exports = {\n  swcMinify: false,\n};\n",
        },
    )
    assert sorted(_found(tmp_path, "FE005")) == [
        ("a/vite.config.ts", 3),
        ("b/vite.config.mjs", 1),
        ("c/webpack.config.js", 2),
        ("d/webpack.production.js", 1),
        ("e/next.config.js", 2),
    ]


def test_minification_settings_that_are_fine(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            # another object's `minify`, a conditional, a comment, library mode, a dev config
            "a/vite.config.ts": (
                "export default defineConfig(({ mode }) => ({\n"
                "  optimizeDeps: { esbuildOptions: { minify: false } },\n"
                "  build: { minify: mode === 'production' },\n"
                "  // build: { minify: false },\n"
                "}));\n"
            ),
            "b/vite.config.ts": "export default { build: { lib: { entry: 'x' }, minify: false } };\n",
            "c/webpack.dev.js": "module.exports = { optimization: { minimize: false } };\n",
            "d/webpack.config.js": "module.exports = { mode: 'development' };\n",
            "e/src/build.ts": "export const options = { build: { minify: false } };\n",
            "f/webpack.config.js": (
                "module.exports = { optimization: { minimizer: [new T({ minimize: false })] } };\n"
            ),
        },
    )
    assert _found(tmp_path, "FE005") == []


# ------------------------------------------------------------------ FE006 (pending binary sizes)


def test_oversized_images_interface() -> None:
    assets = [
        Asset("frontend/src/assets/hero.png", 812_000),
        Asset("frontend/public/logo.webp", 120_000),
        Asset("frontend/public/video.mp4", 9_000_000),
        Asset("docs/screenshots/dashboard.png", 900_000),
        Asset("web/public/og/banner.JPG", 400_000),
    ]
    found = [(f.path, f.code) for f in oversized_images(assets)]
    assert found == [
        ("frontend/src/assets/hero.png", "FE006"),
        ("web/public/og/banner.JPG", "FE006"),
    ]
