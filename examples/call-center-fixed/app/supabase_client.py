from functools import lru_cache

from supabase import Client, ClientOptions, create_client

from app.settings import settings


@lru_cache(maxsize=1)
def get_supabase() -> Client:
    """One client per process: it keeps its HTTP connection pool between requests."""
    return create_client(
        settings.supabase_url,
        settings.supabase_service_role_key.get_secret_value(),
        options=ClientOptions(postgrest_client_timeout=10, storage_client_timeout=30),
    )
