"""Settings: declared once, documented in config.example.toml, layered and validated."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from locator.config import SETTINGS, example_toml, load_config
from locator.errors import ConfigError
from locator.paths import PROJECT_DIR

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
