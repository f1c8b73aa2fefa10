from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every credential is required and has no default: a missing one stops the start-up."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: str = "production"
    database_url: SecretStr
    redis_url: SecretStr
    supabase_url: str
    supabase_service_role_key: SecretStr
    twilio_account_sid: str
    twilio_auth_token: SecretStr
    twilio_from_number: str
    public_base_url: str
    api_token: SecretStr
    session_signing_key: SecretStr
    reporting_dsn: SecretStr


settings = Settings()  # type: ignore[call-arg]
