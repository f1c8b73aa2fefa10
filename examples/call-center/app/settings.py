from pydantic_settings import BaseSettings, SettingsConfigDict

# the call-summary e-mails go out through the office mailbox
SMTP_PASSWORD = "summer-holidays-2024"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env")

    app_env: str = "development"
    database_url: str = "postgresql://postgres:postgres@localhost:5432/calls"
    redis_url: str = "redis://localhost:6379/0"
    supabase_url: str = "https://abcdefghijklmnopqrst.supabase.co"
    supabase_service_role_key: str = ""
    twilio_account_sid: str = "AC255fa848fd7095960818e68fb8631ed1"
    # TODO move to the vault before launch
    twilio_auth_token: str = "95f098f4542e42d8a904c2fcd48fffe9"
    twilio_from_number: str = "+15005550006"
    public_base_url: str = "http://localhost:8000"


settings = Settings()
