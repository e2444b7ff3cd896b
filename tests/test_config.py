"""Settings: declared once, documented in config.example.toml, layered and validated."""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from pathlib import Path
from typing import Any, Literal

import pytest

from locator.config import SETTINGS, Setting, Settings, example_toml, load_config, settings_of
from locator.errors import ConfigError
from locator.ops.health import SOURCE_SCHEDULES
from locator.paths import PROJECT_DIR
from locator.web.security import LIMIT_SETTINGS

EXAMPLE = PROJECT_DIR / "config.example.toml"


def test_config_example_is_in_step_with_the_declared_settings() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == example_toml(), (
        "Regenerate it: locator config-example > config.example.toml"
    )


def test_every_setting_is_documented_with_its_default() -> None:
    parsed = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert parsed == {s.name: s.default for s in SETTINGS}
    text = EXAMPLE.read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"# {setting.help}\n{setting.name} = " in text


def _typed_field(setting: Setting) -> Any:
    """The annotation a declared setting gets on Settings."""
    if setting.choices:
        return Literal[setting.choices]
    return tuple[str, ...] if setting.kind is list else setting.kind


def test_typed_settings_have_one_field_per_declared_setting_of_its_type() -> None:
    hints = typing.get_type_hints(Settings)
    assert [f.name for f in dataclasses.fields(Settings)] == [s.name for s in SETTINGS]
    for setting in SETTINGS:
        assert hints[setting.name] == _typed_field(setting), setting.name


def test_typed_settings_hold_the_loaded_values() -> None:
    config = load_config({"page_size": 40, "samhsa_states": ["VA"]}, environ={}, config_file=None)
    settings = Settings.from_mapping(config)
    assert settings.page_size == 40 and settings.samhsa_states == ("VA",)
    assert settings.database_url == config["DATABASE_URL"]
    assert {f.name: getattr(settings, f.name) for f in dataclasses.fields(Settings)} == {
        name.lower(): tuple(value) if isinstance(value, list) else value
        for name, value in config.items()
    }


def test_typed_settings_of_a_partial_dict_fill_in_the_defaults() -> None:
    settings = settings_of({"HTTP_MAX_RETRIES": 1, "TESTING": True})
    assert settings.http_max_retries == 1
    assert settings.default_unit == "mi" and settings.languages == ("en", "es")
    with pytest.raises(ConfigError, match="page_size"):
        Settings.from_mapping({"PAGE_SIZE": "many"})


def test_typed_settings_are_built_once_per_app() -> None:
    from locator import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "PAGE_SIZE": 12})
    assert settings_of(app) is settings_of(app) is app.extensions["settings"]
    assert settings_of(app).page_size == 12
    app.extensions["engine"].dispose()


def test_settings_read_by_name_are_declared() -> None:
    from scrapers.scheduler import JOBS

    names = {s.name for s in SETTINGS}
    assert {job.setting.lower() for job in JOBS} <= names
    assert set(LIMIT_SETTINGS) <= names
    defaults = Settings.from_mapping({})
    assert all(isinstance(cron(defaults), str) for cron in SOURCE_SCHEDULES.values())


def test_layers_apply_in_order(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text('default_radius = 10\npage_size = 30\ngeocoder = "nominatim"\n')
    config = load_config(
        {"page_size": 40}, environ={"LOCATOR_DEFAULT_RADIUS": "15"}, config_file=file
    )
    assert config["DEFAULT_RADIUS"] == 15  # env beats the file
    assert config["PAGE_SIZE"] == 40  # the test dict beats everything
    assert config["GEOCODER"] == "nominatim"  # the file beats the default


def test_default_database_is_the_embedded_sqlite_file() -> None:
    config = load_config(environ={}, config_file=None)
    assert config["DATABASE_URL"].startswith("sqlite:///") and config["DATABASE_URL"].endswith(
        "instance/locator.db"
    )


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"LOCATOR_DEFAULT_RADIUS": "far"}, "not a valid int"),
        ({"LOCATOR_GEOCODER": "google"}, "must be one of"),
        ({"LOCATOR_PAGE_SIZE": "0"}, "at least"),
    ],
)
def test_bad_environment_values_are_refused_with_a_sentence(
    layer: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(environ=layer, config_file=None)


def test_an_unknown_key_in_the_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text("defualt_radius = 10\n")
    with pytest.raises(ConfigError, match="Unknown setting 'defualt_radius'"):
        load_config(environ={}, config_file=file)


def test_a_broken_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text("page_size = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(environ={}, config_file=file)
