"""The model catalog: FACTS.md's table, id resolution, user overrides."""

from __future__ import annotations

import pickle
import tomllib
from datetime import date

import pytest

from tuner.config import Profile, Settings
from tuner.data.catalog.choice import default_catalog, settings_catalog
from tuner.data.catalog.lookup import OPENAI_FINE_TUNING_CLOSES, Catalog, encoding_name_for
from tuner.data.catalog.models import ModelInfo
from tuner.data.catalog.overrides import CatalogError

# FACTS.md, row by row: id, encoding, training $/1M, per-example limit, inference in / out.
FACTS_TABLE = [
    ("gpt-4.1-2025-04-14", "o200k_base", 25.00, None, 3.00, 12.00),
    ("gpt-4.1-mini-2025-04-14", "o200k_base", 5.00, None, 0.80, 3.20),
    ("gpt-4.1-nano-2025-04-14", "o200k_base", 1.50, None, 0.20, 0.80),
    ("gpt-4o-2024-08-06", "o200k_base", 25.00, 65_536, 3.75, 15.00),
    ("gpt-4o-mini-2024-07-18", "o200k_base", 3.00, 65_536, 0.30, 1.20),
    ("gpt-3.5-turbo-0125", "cl100k_base", 8.00, 16_385, 3.00, 6.00),
    ("gpt-3.5-turbo-1106", "cl100k_base", 8.00, 16_385, 3.00, 6.00),
    ("gpt-3.5-turbo-0613", "cl100k_base", 8.00, 4_096, 3.00, 6.00),
]


def test_builtin_table_is_facts_exactly() -> None:
    catalog = default_catalog()
    rows = [
        (
            m.id,
            m.encoding,
            m.training_price_per_1m,
            m.example_token_limit,
            m.input_price_per_1m,
            m.output_price_per_1m,
        )
        for m in catalog
    ]
    assert rows == FACTS_TABLE
    assert all("supervised" in m.methods for m in catalog)


def test_known_dates() -> None:
    catalog = default_catalog()
    assert date(2027, 1, 6) == OPENAI_FINE_TUNING_CLOSES
    assert catalog.get("gpt-3.5-turbo-0125").shutdown == date(2026, 10, 23)
    assert catalog.get("gpt-4.1-nano").shutdown == date(2026, 10, 23)
    assert catalog.get("gpt-3.5-turbo-0613").shutdown < date(2025, 1, 1)


def test_aliases_and_case() -> None:
    catalog = default_catalog()
    assert catalog.get("gpt-4o-mini").id == "gpt-4o-mini-2024-07-18"
    assert catalog.get(" GPT-4o ").id == "gpt-4o-2024-08-06"
    assert catalog.get("gpt-3.5-turbo").id == "gpt-3.5-turbo-0125"
    assert catalog.get("gpt-5") is None
    assert "gpt-4.1" in catalog and "nope" not in catalog


@pytest.mark.parametrize(
    ("model_id", "base"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18"),
        ("ft:gpt-4o-mini-2024-07-18:my-org:custom:9zYx8w", "gpt-4o-mini-2024-07-18"),
        ("ft:gpt-4o-mini-2024-07-18:my-org:custom:9zYx8w:ckpt-step-300", "gpt-4o-mini-2024-07-18"),
        ("ft:gpt-4o-2024-08-06::abc123", "gpt-4o-2024-08-06"),
        ("ft:gpt-3.5-turbo-0125:org:suffix:abc123", "gpt-3.5-turbo-0125"),
        ("ft:gpt-4.1-mini:org::x", "gpt-4.1-mini-2025-04-14"),
    ],
)
def test_fine_tuned_ids_resolve_to_their_base(model_id: str, base: str) -> None:
    resolution = default_catalog().resolve(model_id)
    assert resolution.info is not None and resolution.info.id == base
    assert (resolution.base_id, resolution.exact, resolution.notice) == (base, True, None)
    assert resolution.encoding == resolution.info.encoding and resolution.encoding_known


def test_unknown_snapshot_of_a_known_family() -> None:
    resolution = default_catalog().resolve("gpt-4o-2099-01-01")
    assert resolution.info is None and not resolution.exact
    assert (resolution.encoding, resolution.encoding_known) == ("o200k_base", True)
    assert "prices" in resolution.notice
    assert encoding_name_for("gpt-4-0613", default_catalog()) == ("cl100k_base", True)
    assert encoding_name_for("ft:gpt-5.2-2099:org::x", default_catalog()) == ("o200k_base", True)


@pytest.mark.parametrize(
    "model_id",
    ["llama-3-70b", "ft-AbC123", "curie:ft-personal-2023-03-01-00-00-00", "ft::org:x", "", "  "],
)
def test_unknown_models_get_an_estimate_notice(model_id: str) -> None:
    resolution = default_catalog().resolve(model_id)
    assert resolution.info is None and not resolution.exact
    assert (resolution.encoding, resolution.encoding_known) == ("o200k_base", False)
    assert "estimate" in resolution.notice and "o200k_base" in resolution.notice
    assert encoding_name_for(model_id, default_catalog()) == ("o200k_base", False)


def test_override_changes_only_given_fields() -> None:
    catalog = default_catalog().with_overrides(
        [{"id": "gpt-4o-mini-2024-07-18", "training_price_per_1m": 2.5, "shutdown": "2027-01-14"}]
    )
    info = catalog.get("gpt-4o-mini")
    assert info.training_price_per_1m == 2.5
    assert info.shutdown == date(2027, 1, 14)
    assert info.example_token_limit == 65_536 and info.encoding == "o200k_base"
    assert default_catalog().get("gpt-4o-mini").training_price_per_1m == 3.00  # unchanged


def test_override_by_alias() -> None:
    catalog = default_catalog().with_overrides([{"id": "gpt-4o", "methods": ["supervised"]}])
    assert catalog.get("gpt-4o-2024-08-06").methods == ("supervised",)


def test_add_a_model_from_toml() -> None:
    settings = tomllib.loads(
        """
        [[models]]
        id = "my-azure-deployment"
        encoding = "o200k_base"
        training_price_per_1m = 27.5
        example_token_limit = 65536
        shutdown = 2027-06-30
        aliases = ["mine"]
        """
    )
    catalog = default_catalog().with_overrides(settings["models"])
    info = catalog.get("mine")
    assert info == ModelInfo(
        id="my-azure-deployment",
        encoding="o200k_base",
        training_price_per_1m=27.5,
        example_token_limit=65536,
        shutdown=date(2027, 6, 30),
        aliases=("mine",),
    )
    assert info.input_price_per_1m is None
    resolution = catalog.resolve("ft:my-azure-deployment:org::x")
    assert resolution.exact and resolution.info == info
    assert len(catalog) == len(default_catalog()) + 1


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"encoding": "o200k_base"}, "id"),
        ({"id": 5}, "id"),
        ({"id": "new-model"}, "encoding"),
        ({"id": "new-model", "encoding": "p99k"}, "encoding"),
        ({"id": "gpt-4o", "training_price_per_1m": "cheap"}, "training_price_per_1m"),
        ({"id": "gpt-4o", "training_price_per_1m": -1}, "training_price_per_1m"),
        ({"id": "gpt-4o", "input_price_per_1m": True}, "input_price_per_1m"),
        ({"id": "gpt-4o", "example_token_limit": 1.5}, "example_token_limit"),
        ({"id": "gpt-4o", "example_token_limit": 0}, "example_token_limit"),
        ({"id": "gpt-4o", "shutdown": "next year"}, "shutdown"),
        ({"id": "gpt-4o", "methods": "dpo"}, "methods"),
        ({"id": "gpt-4o", "methods": ["magic"]}, "methods"),
        ({"id": "gpt-4o", "aliases": [1]}, "aliases"),
        ({"id": "gpt-4o", "aliases": ["gpt-4o-mini-2024-07-18"]}, "aliases"),
        ({"id": "gpt-4o", "price": 3}, "price"),
    ],
)
def test_bad_entries_name_the_field(entry: dict[str, object], field: str) -> None:
    with pytest.raises(CatalogError, match=f"models entry 1.*'{field}'"):
        default_catalog().with_overrides([entry])


def test_bad_entry_number_is_reported() -> None:
    with pytest.raises(CatalogError, match=r"models entry 2 \(x\): field 'encoding'"):
        default_catalog().with_overrides(
            [{"id": "gpt-4o", "training_price_per_1m": 1}, {"id": "x"}]
        )


def test_not_a_table_is_refused() -> None:
    with pytest.raises(CatalogError, match="models entry 1"):
        default_catalog().with_overrides(["gpt-4o"])  # type: ignore[list-item]


def test_catalog_crosses_process_boundaries() -> None:
    catalog = default_catalog().with_overrides([{"id": "x-model", "encoding": "cl100k_base"}])
    copy = pickle.loads(pickle.dumps(catalog))
    assert copy.models == catalog.models
    assert copy.resolve("ft:x-model:o::i").base_id == "x-model"


def test_catalog_from_models() -> None:
    catalog = Catalog([ModelInfo("a", "o200k_base", aliases=("b",))])
    assert catalog.get("b").id == "a"
    with pytest.raises(CatalogError, match="alias"):
        Catalog([ModelInfo("a", "o200k_base", aliases=("c",)), ModelInfo("c", "o200k_base")])


# -- one table per service ---------------------------------------------------------------------


def test_default_catalog_by_service_kind() -> None:
    openai = default_catalog()
    assert default_catalog("openai") is openai
    assert openai.service == "openai" and openai.default_model == "gpt-4o-mini-2024-07-18"
    azure = default_catalog("azure")
    assert azure.service == "azure"
    assert [m.id for m in azure.models] == [m.id for m in openai.models]
    # A date belongs to a model on a service: Azure serves gpt-4o-mini long after OpenAI.
    assert openai.get("gpt-4o-mini-2024-07-18").shutdown == date(2027, 1, 14)
    assert azure.get("gpt-4o-mini-2024-07-18").shutdown == date(2027, 10, 1)
    assert azure.get("gpt-4.1-2025-04-14").shutdown == date(2027, 10, 14)
    assert azure.get("gpt-3.5-turbo-0613").shutdown == openai.get("gpt-3.5-turbo-0613").shutdown
    together = default_catalog("together")
    assert together.service == "together"
    assert together.default_model == "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
    assert "gpt-4o-mini" not in together
    with pytest.raises(CatalogError, match="no data rules for the service 'mistral'"):
        default_catalog("mistral")


def test_a_catalog_built_from_models_keeps_openais_default() -> None:
    assert Catalog([ModelInfo("a", "o200k_base")]).default_model == "gpt-4o-mini-2024-07-18"
    custom = Catalog([ModelInfo("org/a", "cl100k_base")], service="together")
    assert custom.default_model == "org/a"


def test_new_fields_have_neutral_defaults_for_openai() -> None:
    info = default_catalog().get("gpt-4o-mini")
    assert info.price_per_1m() == info.price_per_1m(preference=True) == 3.00
    assert info.price_per_1m(full=True) is None  # OpenAI offers no choice of LoRA or full
    assert info.token_limit(preference=True) == info.token_limit() == 65_536
    assert info.training_types == () and not info.lora_only
    assert info.tokenizer_note is None and info.chat_template is None


def _settings(**kwargs: object) -> Settings:
    return Settings(**kwargs)  # type: ignore[arg-type]


def _profile(name: str, kind: str, models: tuple[dict[str, object], ...] = ()) -> Profile:
    return Profile(name=name, kind=kind, models=models)  # type: ignore[arg-type]


def test_settings_catalog_picks_the_profiles_table_then_overrides() -> None:
    llama = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
    settings = _settings(
        models=({"id": "gpt-4o-mini", "training_price_per_1m": 2.0},),
        profiles={
            "tg": _profile("tg", "together", ({"id": llama, "training_price_per_1m": 0.4},)),
            "work": _profile("work", "openai", ({"id": "gpt-4o", "training_price_per_1m": 20},)),
        },
        active_profile="tg",
    )
    together = settings_catalog(settings)  # the active profile's table
    assert together.service == "together"
    assert together.get(llama).training_price_per_1m == 0.4
    assert "gpt-4o-mini" not in together  # a global entry about OpenAI's model is left out
    work = settings_catalog(settings, "work")
    assert work.service == "openai"
    assert work.get("gpt-4o-mini").training_price_per_1m == 2.0  # global, then the profile's
    assert work.get("gpt-4o").training_price_per_1m == 20
    assert settings_catalog(_settings()).service == "openai"  # no profile: OpenAI's table
    with pytest.raises(CatalogError, match=r"no profile named 'nope' \(profiles: tg, work\)"):
        settings_catalog(settings, "nope")


def test_settings_catalog_is_strict_about_openais_table() -> None:
    settings = _settings(models=({"id": "gpt-4o-mni", "training_price_per_1m": 2.0},))
    with pytest.raises(CatalogError, match=r"settings\.toml.*'encoding' is required"):
        settings_catalog(settings)
