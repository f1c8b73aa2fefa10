import os

from supabase import Client, create_client

from app.settings import settings

# Fallback so the worker also runs on a laptop without a .env
SUPABASE_SERVICE_ROLE_KEY = os.getenv(
    "SUPABASE_SERVICE_ROLE_KEY",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6ImFiY2RlZmdoaWprbG1ub3BxcnN0Iiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoyMDAwMDAwMDAwfQ.Ifgyo9sXoHUtDs-sVpKaeLJ47QlBsgSbgpjxsCGNEFA",
)


def get_supabase() -> Client:
    return create_client(settings.supabase_url, SUPABASE_SERVICE_ROLE_KEY)
