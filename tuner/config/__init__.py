"""Settings, profiles, paths and secrets: everything tuner reads before it talks to anyone.

One TOML file (`settings.toml` in the platformdirs config dir) becomes one typed, frozen
`Settings` object (`settings`), saved back by editing the file in place (`settings_file`). The API
key lives apart, in `secrets.toml` (created 0600), inside a `Secret` wrapper whose repr is masked
(`secrets`). `connections` turns settings and environment into one `Connection`. No network and
no SDK here: `tuner.api` turns a `Connection` into a service.

The names most code needs are re-exported here.
"""

from tuner.config.connections import Connection, env_key, key_state, resolve_connection
from tuner.config.errors import ConfigError
from tuner.config.paths import cache_dir, config_dir, data_dir, secrets_path, settings_path
from tuner.config.secrets import DEFAULT_PROFILE_NAME, Secret, load_api_key, save_api_key
from tuner.config.settings import (
    DEFAULT_MODEL,
    KINDS,
    Profile,
    ProfileKind,
    Settings,
    load_settings,
)
from tuner.config.settings_file import dump_settings, save_settings

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_PROFILE_NAME",
    "KINDS",
    "ConfigError",
    "Connection",
    "Profile",
    "ProfileKind",
    "Secret",
    "Settings",
    "cache_dir",
    "config_dir",
    "data_dir",
    "dump_settings",
    "env_key",
    "key_state",
    "load_api_key",
    "load_settings",
    "resolve_connection",
    "save_api_key",
    "save_settings",
    "secrets_path",
    "settings_path",
]
