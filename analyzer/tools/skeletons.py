"""The smallest file of each kind a new rule's examples start from.

A new rule's bad and good examples begin as the same file, one that prodready
reads as the right kind (the path and the content decide the kind), so the
author edits a working example instead of guessing names and headers. Nothing in
them breaks a rule: the bad example fails the example tests until it does.
"""

from __future__ import annotations

from dataclasses import dataclass

# registry.ANY_TEXT, the kind of checks that read every text file; written out because
# importing the registry imports every rule module, and a refused command should be quick
ANY_TEXT = "*"


@dataclass(frozen=True)
class Skeleton:
    kind: str  # the kind a file check registers for (registry.ANY_TEXT: every text file)
    path: str
    text: str
    line: int  # where the bad example's finding is expected, until the author says otherwise


_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
"""

SKELETONS: dict[str, Skeleton] = {
    s.kind if s.kind != ANY_TEXT else "text": s
    for s in (
        Skeleton("python", "app/main.py", "from fastapi import FastAPI\n\napp = FastAPI()\n", 3),
        Skeleton(
            "dockerfile",
            "Dockerfile",
            "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n"
            'CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]\n',
            1,
        ),
        Skeleton(
            "compose", "compose.yaml", "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n", 2
        ),
        Skeleton("kubernetes", "k8s/api.yaml", _DEPLOYMENT, 8),
        Skeleton(
            "sql",
            "supabase/migrations/20240101000000_notes.sql",
            "create table public.notes (id bigint primary key, body text);\n",
            1,
        ),
        Skeleton(
            "nginx",
            "nginx/nginx.conf",
            "server {\n    listen 80;\n    location / {\n        proxy_pass http://api:8000;\n"
            "    }\n}\n",
            1,
        ),
        Skeleton("env", ".env", "LOG_LEVEL=info\n", 1),
        Skeleton(
            "js",
            "frontend/src/App.jsx",
            "export default function App() {\n  return <main />;\n}\n",
            2,
        ),
        Skeleton(
            "html",
            "frontend/index.html",
            '<!doctype html>\n<html>\n  <body>\n    <div id="root"></div>\n  </body>\n</html>\n',
            4,
        ),
        Skeleton(
            "workflow",
            ".github/workflows/ci.yml",
            "on: [pull_request]\npermissions: {contents: read}\njobs:\n  test:\n"
            "    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n",
            7,
        ),
        Skeleton("supabase-config", "supabase/config.toml", "[api]\nport = 54321\n", 2),
        Skeleton(ANY_TEXT, "config/app.ini", "[app]\nname = api\n", 2),
    )
}
