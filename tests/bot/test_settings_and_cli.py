"""Settings from the environment, clear errors, and the fitmygpu-bot subcommands that need no
Discord connection (invite-url, check-config, the missing-token exit)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from bot.main import PERMISSIONS, application_id_from_token, check_config, invite_urls, main
from bot.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No settings leak in from the machine, and no .env file is found."""
    for key in list(os.environ):
        if key.startswith(("FITMYGPU_", "DISCORD_")) or key == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


APP_ID = 123456789012345678
TOKEN = (
    base64.urlsafe_b64encode(str(APP_ID).encode()).decode().rstrip("=") + ".Gx1234.secret-part-of-the-token"
)


def test_defaults(monkeypatch: pytest.MonkeyPatch):
    s = load_settings(env_file=None)
    assert s.db_path == Path("fitmygpu.sqlite3")
    assert (s.log_level, s.log_format, s.health_host, s.health_port) == ("INFO", "text", "127.0.0.1", 8080)
    assert s.mention_cooldown == 10 and not s.sharded and s.token() == (None, "")


def test_every_documented_variable_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    catalog = Path(__file__).resolve().parents[2] / "catalog"
    env = {
        "DISCORD_TOKEN": TOKEN,
        "FITMYGPU_DB_PATH": "/data/bot.sqlite3",
        "FITMYGPU_DEV_GUILD_ID": "42",
        "FITMYGPU_LOG_LEVEL": "debug",
        "FITMYGPU_LOG_FORMAT": "JSON",
        "FITMYGPU_HEALTH_HOST": "0.0.0.0",
        "FITMYGPU_HEALTH_PORT": "0",
        "FITMYGPU_MENTION_COOLDOWN": "2.5",
        "FITMYGPU_AUTO_SHARD": "false",
        "FITMYGPU_SHARD_COUNT": "4",
        "FITMYGPU_SHARD_IDS": "0, 2",
        "FITMYGPU_CATALOG": str(catalog),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = load_settings(env_file=None)
    assert s.token()[0].get_secret_value() == TOKEN and s.token()[1] == "DISCORD_TOKEN"
    assert s.db_path == Path("/data/bot.sqlite3") and s.dev_guild_id == 42
    assert (s.log_level, s.log_format, s.health_host, s.health_port) == ("DEBUG", "json", "0.0.0.0", 0)
    assert s.mention_cooldown == 2.5
    assert (s.shard_count, s.shard_ids, s.sharded) == (4, [0, 2], True)
    assert s.catalog == catalog
    assert TOKEN not in repr(s) and TOKEN not in str(s.model_dump())


def test_a_dot_env_file_is_read(tmp_path: Path):
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nFITMYGPU_HEALTH_PORT=9000\n")
    s = load_settings()
    assert s.token()[0].get_secret_value() == TOKEN and s.health_port == 9000


def test_token_from_a_file_and_from_systemd_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    f = tmp_path / "token"
    f.write_text(TOKEN + "\n")
    monkeypatch.setenv("DISCORD_TOKEN_FILE", str(f))
    assert load_settings(env_file=None).token() == (
        load_settings(env_file=None).token()[0],
        "DISCORD_TOKEN_FILE",
    )
    assert load_settings(env_file=None).token()[0].get_secret_value() == TOKEN
    monkeypatch.delenv("DISCORD_TOKEN_FILE")
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "discord_token").write_text(TOKEN)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    token, source = load_settings(env_file=None).token()
    assert token is not None and token.get_secret_value() == TOKEN and source.endswith("discord_token")


def test_an_unreadable_token_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("DISCORD_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError) as err:
        load_settings(env_file=None).token()
    assert err.value.problems[0].startswith("DISCORD_TOKEN_FILE: cannot read")


@pytest.mark.parametrize(
    ("env", "expect"),
    [
        ({"FITMYGPU_HEALTH_PORT": "http"}, "FITMYGPU_HEALTH_PORT: Input should be a valid integer"),
        (
            {"FITMYGPU_HEALTH_PORT": "70000"},
            "FITMYGPU_HEALTH_PORT: Input should be less than or equal to 65535",
        ),
        ({"FITMYGPU_LOG_LEVEL": "loud"}, "FITMYGPU_LOG_LEVEL: Input should be 'DEBUG'"),
        ({"FITMYGPU_LOG_FORMAT": "xml"}, "FITMYGPU_LOG_FORMAT: Input should be 'text' or 'json'"),
        ({"FITMYGPU_SHARD_IDS": "0,1"}, "FITMYGPU_SHARD_IDS needs FITMYGPU_SHARD_COUNT"),
        (
            {"FITMYGPU_SHARD_IDS": "0,5", "FITMYGPU_SHARD_COUNT": "2"},
            "FITMYGPU_SHARD_IDS has [5], outside 0..1",
        ),
        (
            {"FITMYGPU_SHARD_IDS": "a,b", "FITMYGPU_SHARD_COUNT": "2"},
            "FITMYGPU_SHARD_IDS: expected a comma-separated",
        ),
        (
            {"FITMYGPU_MENTION_COOLDOWN": "-1"},
            "FITMYGPU_MENTION_COOLDOWN: Input should be greater than or equal to 0",
        ),
        ({"FITMYGPU_CATALOG": "/nowhere"}, "FITMYGPU_CATALOG=/nowhere has no models/ folder"),
    ],
)
def test_invalid_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expect: str
):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as err:
        load_settings(env_file=None)
    assert any(p.startswith(expect) for p in err.value.problems), err.value.problems


def test_check_config_reports_ok(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys):
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("FITMYGPU_DB_PATH", str(tmp_path / "db" / "bot.sqlite3"))
    assert check_config() == 0
    out = capsys.readouterr().out
    assert "ok: token from DISCORD_TOKEN (application id 123456789012345678)" in out
    assert "will be created" in out and "models" in out and out.strip().endswith("config ok")
    assert TOKEN not in out


def test_check_config_lists_every_problem(monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setenv("FITMYGPU_HEALTH_PORT", "x")
    monkeypatch.setenv("FITMYGPU_LOG_FORMAT", "xml")
    assert check_config() == 2
    out = capsys.readouterr().out.splitlines()
    errors = sorted(line.split(":")[1].strip() for line in out if line.startswith("error"))
    assert errors == ["FITMYGPU_HEALTH_PORT", "FITMYGPU_LOG_FORMAT"]
    assert out[-1] == "2 problem(s)"


def test_check_config_without_a_token(capsys):
    assert check_config() == 2
    assert "error: no Discord token" in capsys.readouterr().out


def test_no_token_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: no Discord token; set DISCORD_TOKEN, DISCORD_TOKEN_FILE, or a systemd credential "
        "named discord_token"
    ]


def test_invite_url(monkeypatch: pytest.MonkeyPatch, capsys):
    assert application_id_from_token(TOKEN) == APP_ID
    assert application_id_from_token("not-a-token") is None
    server, user = invite_urls(APP_ID)
    assert f"client_id={APP_ID}" in server and f"permissions={PERMISSIONS}" in server
    assert "scope=bot+applications.commands" in server
    assert "integration_type=1" in user and "scope=applications.commands" in user
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    with pytest.raises(SystemExit) as exit_:
        main(["invite-url"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert server in out and TOKEN not in out
    with pytest.raises(SystemExit):
        main(["invite-url", "--client-id", "42"])
    assert "client_id=42" in capsys.readouterr().out


def test_permissions_are_the_documented_few():
    import discord

    p = discord.Permissions(PERMISSIONS)
    granted = {name for name, value in p if value}
    assert granted == {
        "read_messages",
        "send_messages",
        "send_messages_in_threads",
        "embed_links",
        "attach_files",
        "read_message_history",
    }
