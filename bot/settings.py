"""The bot's settings, read from the environment or a ``.env`` file and validated once at startup.

Why one pydantic-settings class: operators configure the bot through env vars (Docker, systemd),
and a typo must fail at startup with a line that names the variable, not minutes later inside a
command. The environment variable names are part of the deploy contract (``deploy/``,
``docs/self-hosting.md``); do not rename them.

The token is a :class:`SecretStr` and is looked up in order: ``DISCORD_TOKEN``, the file named by
``DISCORD_TOKEN_FILE``, then the systemd credential ``$CREDENTIALS_DIRECTORY/discord_token``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "FITMYGPU_"
CREDENTIAL_NAME = "discord_token"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

# Field name -> environment variable, for error messages (fields without an explicit alias get
# the prefix).
_EXPLICIT_ENV = {"discord_token": "DISCORD_TOKEN", "discord_token_file": "DISCORD_TOKEN_FILE"}


class ConfigError(Exception):
    """Settings that cannot work; ``problems`` holds one line per problem, each naming the variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def env_name(field: str) -> str:
    return _EXPLICIT_ENV.get(field, ENV_PREFIX + field.upper())


class BotSettings(BaseSettings):
    """Everything an operator can set. Unknown ``FITMYGPU_*`` variables are ignored."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    discord_token: SecretStr | None = Field(None, validation_alias=AliasChoices("DISCORD_TOKEN"))
    discord_token_file: Path | None = Field(None, validation_alias=AliasChoices("DISCORD_TOKEN_FILE"))
    db_path: Path = Path("./fitmygpu.sqlite3")
    dev_guild_id: int | None = Field(None, gt=0, description="Sync commands to this server only")
    log_level: LogLevel = "INFO"
    log_format: Literal["text", "json"] = "text"
    health_host: str = "127.0.0.1"
    health_port: int = Field(8080, ge=0, le=65535, description="0 disables the health server")
    mention_cooldown: float = Field(10.0, ge=0, le=3600, description="Seconds between mention replies")
    auto_shard: bool = False
    shard_count: int | None = Field(None, ge=1, le=10_000)
    shard_ids: Annotated[list[int] | None, NoDecode] = None
    catalog: Path | None = Field(None, description="Catalog folder (also read by the core loader)")
    # Test-only: point the real discord.py client at a fake Discord on loopback. Never set these in
    # production; the bot logs a warning when they are used.
    discord_api_base: str | None = None
    discord_gateway: str | None = None

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _case_insensitive(cls, v: object, info: ValidationInfo) -> object:
        if not isinstance(v, str):
            return v
        return v.upper() if info.field_name == "log_level" else v.lower()

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _comma_list(cls, v: object) -> object:
        if isinstance(v, str):
            parts = [p.strip() for p in v.split(",") if p.strip()]
            try:
                return [int(p) for p in parts]
            except ValueError:
                raise ValueError("expected a comma-separated list of shard numbers, e.g. 0,1") from None
        return v

    @model_validator(mode="after")
    def _shards_agree(self) -> BotSettings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("FITMYGPU_SHARD_IDS needs FITMYGPU_SHARD_COUNT (the total across processes)")
            bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if bad:
                raise ValueError(
                    f"FITMYGPU_SHARD_IDS has {bad}, outside 0..{self.shard_count - 1} (FITMYGPU_SHARD_COUNT)"
                )
            if not self.shard_ids:
                raise ValueError("FITMYGPU_SHARD_IDS is empty")
        if self.catalog is not None and not (self.catalog / "models").is_dir():
            raise ValueError(f"FITMYGPU_CATALOG={self.catalog} has no models/ folder")
        return self

    # ----- derived ------------------------------------------------------------------------------

    @property
    def sharded(self) -> bool:
        return self.auto_shard or self.shard_count is not None

    def token(self) -> tuple[SecretStr | None, str]:
        """The token and where it came from; raises :class:`ConfigError` for an unreadable file."""
        if self.discord_token is not None and self.discord_token.get_secret_value().strip():
            return SecretStr(self.discord_token.get_secret_value().strip()), "DISCORD_TOKEN"
        if self.discord_token_file is not None:
            return _read_token(self.discord_token_file, "DISCORD_TOKEN_FILE"), "DISCORD_TOKEN_FILE"
        cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
        if cred_dir:
            path = Path(cred_dir) / CREDENTIAL_NAME
            if path.exists():
                return _read_token(path, "systemd credential"), f"$CREDENTIALS_DIRECTORY/{CREDENTIAL_NAME}"
        return None, ""


def _read_token(path: Path, what: str) -> SecretStr:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError([f"{what}: cannot read {path} ({exc.strerror or exc})"]) from None
    if not text:
        raise ConfigError([f"{what}: {path} is empty"])
    return SecretStr(text)


NO_TOKEN = (
    "error: no Discord token; set DISCORD_TOKEN, DISCORD_TOKEN_FILE, "
    f"or a systemd credential named {CREDENTIAL_NAME}"
)


def load_settings(env_file: str | Path | None = ".env") -> BotSettings:
    """Read settings; raise :class:`ConfigError` with one line per problem, naming the variable."""
    try:
        return BotSettings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = [str(p) for p in e["loc"]]
            msg = str(e["msg"]).removeprefix("Value error, ")
            if loc:
                got = "" if loc[0].startswith("discord_token") else f" (got {e.get('input')!r})"
                problems.append(f"{env_name(loc[0])}: {msg}{got}")
            else:
                problems.append(msg)
        raise ConfigError(problems) from None
