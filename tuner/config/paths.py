"""Where tuner keeps things: the platform's config, data and cache folders, overridable by env.

`TUNER_CONFIG_DIR`, `TUNER_DATA_DIR` and `TUNER_CACHE_DIR` move them (the tests and the demo
use that to keep away from the user's real files). Nothing is created here.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "tuner"
SETTINGS_FILE = "settings.toml"
SECRETS_FILE = "secrets.toml"


def _dir_from_env(variable: str, default: str) -> Path:
    override = os.environ.get(variable)
    return Path(override).expanduser() if override else Path(default)


def config_dir() -> Path:
    """Where settings.toml and secrets.toml live (`TUNER_CONFIG_DIR` overrides); not created."""
    import platformdirs

    return _dir_from_env("TUNER_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Transcripts and follower cursors (`TUNER_DATA_DIR` overrides). Not created here."""
    import platformdirs

    return _dir_from_env("TUNER_DATA_DIR", platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """Rebuildable data such as line indexes (`TUNER_CACHE_DIR` overrides). Not created here."""
    import platformdirs

    return _dir_from_env("TUNER_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME))


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def secrets_path() -> Path:
    return config_dir() / SECRETS_FILE
