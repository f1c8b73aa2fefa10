"""Call recordings: where they are archived and which cache remembers the latest ones."""

import os

# Required, and set for every container that runs this code (docker-compose.yml;
# the Kubernetes pods get it from the call-center secret).
RECORDINGS_BUCKET = os.environ["RECORDINGS_BUCKET"]

# TLS and credentials come with the URL from the environment, never from the code.
RECENT_CACHE_URL = os.environ.get("RECENT_CACHE_URL", "")


def recording_key(call_sid: str) -> str:
    return f"{RECORDINGS_BUCKET}/recordings/{call_sid}.mp3"
