"""Call recordings: where they are archived and which cache remembers the latest ones."""

import os

# Read at import: the API and the worker both need it, and nothing in
# docker-compose.yml or k8s/ sets it.
RECORDINGS_BUCKET = os.environ["RECORDINGS_BUCKET"]

# The shared cache of the production VPC; no password "because it is internal".
RECENT_CACHE_URL = "redis://recordings-cache.calls-prod.example.net:6379/1"


def recording_key(call_sid: str) -> str:
    return f"{RECORDINGS_BUCKET}/recordings/{call_sid}.mp3"
