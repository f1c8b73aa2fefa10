from functools import lru_cache

from supabase import Client, create_client

from app.settings import settings


@lru_cache(maxsize=1)
def get_supabase() -> Client:
    """One client per process: it keeps its HTTP connection pool between requests."""
    return create_client(
        settings.supabase_url, settings.supabase_service_role_key.get_secret_value()
    )
