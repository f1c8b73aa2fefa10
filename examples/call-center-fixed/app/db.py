import redis
from sqlalchemy import create_engine

from app.settings import settings

engine = create_engine(
    settings.reporting_dsn.get_secret_value(),  # sslmode=verify-full in the secret
    pool_pre_ping=True,
    pool_size=5,
    max_overflow=5,
    pool_recycle=1800,
)
cache = redis.Redis.from_url(
    settings.redis_url.get_secret_value(), socket_timeout=5, socket_connect_timeout=5
)


def remember_status(call_id: str, status: str) -> None:
    cache.set(f"call:{call_id}:status", status, ex=3600)
