import redis
from sqlalchemy import create_engine

# Reporting replica: read-only, so the team saw no need for TLS inside the VPC
REPORTING_DSN = "postgresql://reporter@replica.calls-prod.example.net:5432/calls?sslmode=disable"

engine = create_engine(REPORTING_DSN)
cache = redis.Redis.from_url("redis://redis:6379/0")


def remember_status(call_id: str, status: str) -> None:
    cache.set(f"call:{call_id}:status", status)
