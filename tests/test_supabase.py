"""supabase/config.toml rules through the real scan, and the key-line scanner."""

from __future__ import annotations

from pathlib import Path

from analyzer.parsers.supabase_config import key_lines
from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, write_tree

# What `supabase init` writes (abridged, same values): a laptop configuration.
LOCAL_DEFAULT = """\
project_id = "demo"

[api]
enabled = true
port = 54321
schemas = ["public", "graphql_public"]
extra_search_path = ["public", "extensions"]
max_rows = 1000

[db]
port = 54322
major_version = 15

[db.network_restrictions]
enabled = false
allowed_cidrs = ["0.0.0.0/0"]
allowed_cidrs_v6 = ["::/0"]

[auth]
enabled = true
site_url = "http://127.0.0.1:3000"
additional_redirect_urls = ["https://127.0.0.1:3000"]
jwt_expiry = 3600
enable_refresh_token_rotation = true
refresh_token_reuse_interval = 10
enable_signup = true
enable_anonymous_sign_ins = false
minimum_password_length = 6
password_requirements = ""

[auth.email]
enable_signup = true
double_confirm_changes = true
enable_confirmations = false
secure_password_change = false
max_frequency = "1s"

[auth.sms.twilio]
enabled = false
account_sid = ""
message_service_sid = ""
auth_token = "env(SUPABASE_AUTH_SMS_TWILIO_AUTH_TOKEN)"
"""


def _found(root: Path) -> list[tuple[str, int | None]]:
    return sorted(
        (f.code, f.line) for f in scan(root, AUDIT).findings if f.code.startswith(("SUPA", "PR"))
    )


def test_local_defaults_are_quiet(tmp_path: Path) -> None:
    write_tree(tmp_path, {"supabase/config.toml": LOCAL_DEFAULT})
    assert _found(tmp_path) == []


def test_production_site_url_turns_on_the_production_rules(tmp_path: Path) -> None:
    text = LOCAL_DEFAULT.replace("http://127.0.0.1:3000", "https://app.example.com")
    write_tree(tmp_path, {"supabase/config.toml": text})
    assert _found(tmp_path) == [("SUPA004", 34), ("SUPA006", 28)]


def test_lifetimes_are_judged_even_locally(tmp_path: Path) -> None:
    text = LOCAL_DEFAULT.replace("jwt_expiry = 3600", "jwt_expiry = 7200").replace(
        "refresh_token_reuse_interval = 10", "refresh_token_reuse_interval = 60"
    )
    write_tree(tmp_path, {"supabase/config.toml": text})
    assert _found(tmp_path) == [("SUPA001", 23), ("SUPA003", 25)]


def test_rotation_off_reports_rotation_not_the_reuse_interval(tmp_path: Path) -> None:
    text = LOCAL_DEFAULT.replace(
        "enable_refresh_token_rotation = true", "enable_refresh_token_rotation = false"
    ).replace("refresh_token_reuse_interval = 10", "refresh_token_reuse_interval = 60")
    write_tree(tmp_path, {"supabase/config.toml": text})
    assert _found(tmp_path) == [("SUPA002", 24)]


def test_http_redirects_to_real_hosts_only(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "supabase/config.toml": (
                "[auth]\n"
                'site_url = "http://localhost:3000"\n'
                "additional_redirect_urls = [\n"
                '  "http://192.168.1.20:3000",\n'
                '  "http://app.local/cb",\n'
                '  "http://web:3000",\n'
                '  "http://app.example.com/cb",\n'
                "]\n"
            )
        },
    )
    findings = [f for f in scan(tmp_path, AUDIT).findings if f.code == "SUPA005"]
    assert [(f.line, "app.example.com" in f.message) for f in findings] == [(3, True)]


def test_remote_profiles_are_judged_and_reported_once(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "supabase/config.toml": (
                "[auth]\n"
                'site_url = "https://app.example.com"\n'
                "jwt_expiry = 7200\n"
                "[remotes.staging]\n"
                'project_id = "x"\n'
                "[remotes.staging.auth]\n"
                "enable_refresh_token_rotation = false\n"
                "[remotes.staging.auth.email]\n"
                "enable_confirmations = false\n"
            )
        },
    )
    assert _found(tmp_path) == [("SUPA001", 3), ("SUPA002", 7), ("SUPA004", 9)]


def test_invalid_toml_is_a_note(tmp_path: Path) -> None:
    write_tree(tmp_path, {"supabase/config.toml": "[auth]\njwt_expiry = \n"})
    assert [c for c, _ in _found(tmp_path)] == ["PR001"]


def test_key_lines() -> None:
    text = (
        'project_id = "x"  # comment = not a key\n'
        "[auth]\n"
        "additional_redirect_urls = [\n"
        '  "https://a",  # [not a header]\n'
        "  [1, 2],\n"
        "]\n"
        "jwt_expiry = 3600\n"
        'notes = """\n'
        "fake = 1\n"
        '"""\n'
        "[ auth.email ]\n"
        'sms.provider = "twilio"\n'
        '"quoted key" = true\n'
        "[[auth.hook]]\n"
        "enabled = true\n"
    )
    lines = key_lines(text)
    assert lines["project_id"] == 1
    assert lines["auth"] == 2
    assert lines["auth.additional_redirect_urls"] == 3
    assert lines["auth.jwt_expiry"] == 7
    assert "auth.fake" not in lines
    assert lines["auth.email"] == 11
    assert lines["auth.email.sms.provider"] == 12
    assert lines["auth.email.quoted key"] == 13
    assert lines["auth.hook.enabled"] == 15
