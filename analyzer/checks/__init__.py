"""Check modules, one per domain; importing this package registers them all."""

import importlib

DOMAINS = (
    "meta",
    "dockerfile",
    "compose",
    "kubernetes",
    "secrets",
    "fastapi",
    "python",
    "sql",
    "supabase",
    "nginx",
    "frontend",
    "workflows",
    "repository",
    "judge",
)

for _name in DOMAINS:
    try:
        importlib.import_module(f"analyzer.checks.{_name}")
    except (
        ModuleNotFoundError
    ) as _exc:  # a domain not shipped yet; a missing dependency still fails
        if _exc.name != f"analyzer.checks.{_name}":
            raise
