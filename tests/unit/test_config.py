import pytest

from core.config import ConfigError, Settings, load_settings


@pytest.fixture(autouse=True)
def _no_env(monkeypatch, tmp_path):
    for name in [
        "TELEGRAM_BOT_TOKEN",
        "DATABASE_URL",
        "TELEGRAM_API_BASE_URL",
        "DEFAULT_TIMEZONE",
        "BCRYPT_ROUNDS",
        "LOG_LEVEL",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_give_a_sqlite_bot_that_needs_only_a_token():
    settings = Settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.is_sqlite
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.default_timezone == "UTC"
    assert settings.bcrypt_rounds == 10  # from the code's entropy: core/codes.py


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/app", "postgresql+asyncpg://u:p@db.example:5432/app"),
        ("postgresql://u@localhost/app", "postgresql+asyncpg://u@localhost/app"),
        ("postgresql+asyncpg://u@localhost/app", "postgresql+asyncpg://u@localhost/app"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_hosting_platform_urls_are_mapped_to_async_drivers(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_settings().database_url == expected


@pytest.mark.parametrize(
    "url", ["not a url", "mysql://u@h/db", "postgres:///nodb", "postgresql://localhost/"]
)
def test_a_malformed_database_url_stops_with_one_line(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "DATABASE_URL" in message
    assert "\n" not in message


def test_a_missing_token_stops_with_a_line_saying_where_to_get_one():
    with pytest.raises(ConfigError, match="@BotFather"):
        load_settings().require_token()


def test_the_token_is_read_from_a_dotenv_file_and_never_shown(tmp_path):
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=123:SECRET\n")
    settings = load_settings()
    assert settings.require_token() == "123:SECRET"
    assert "SECRET" not in repr(settings)
    assert "SECRET" not in str(settings.model_dump())


def test_an_unknown_timezone_or_log_level_is_refused(monkeypatch):
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="DEFAULT_TIMEZONE"):
        load_settings()
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Europe/Paris")
    monkeypatch.setenv("LOG_LEVEL", "chatty")
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        load_settings()


def test_bcrypt_rounds_are_bounded(monkeypatch):
    monkeypatch.setenv("BCRYPT_ROUNDS", "3")
    with pytest.raises(ConfigError, match="BCRYPT_ROUNDS"):
        load_settings()
