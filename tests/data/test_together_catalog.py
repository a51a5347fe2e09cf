"""Together's model table: the same figures as the emulator serves, prices by band, counting."""

from __future__ import annotations

import pickle

import pytest

from tuner.data.catalog import together as together_catalog
from tuner.data.catalog.choice import default_catalog
from tuner.data.catalog.overrides import CatalogError
from tuner.data.catalog.together import (
    DEFAULT_TOGETHER_MODEL,
    DPO_PRICE_FACTOR,
    PRICE_BANDS,
    PRICE_SOURCE,
    band_prices,
)
from tuner.emulator.together import catalog as emulated


def test_the_table_is_the_emulators_model_for_model() -> None:
    """Names, context lengths (supervised and DPO), LoRA-only and every price agree, so the
    table tuner prices with and the service the tests run against cannot drift apart."""
    catalog = default_catalog("together")
    assert [m.id for m in catalog] == [m.name for m in emulated.MODELS]
    for served in emulated.MODELS:
        info = catalog.get(served.name)
        assert info is not None, served.name
        assert info.example_token_limit == served.context_sft
        assert info.dpo_example_token_limit == served.context_dpo
        assert info.token_limit(preference=True) == served.context_dpo
        assert info.lora_only == served.lora_only
        assert info.training_types == (("lora",) if served.lora_only else ("lora", "full"))
        for full in (False, True):
            for dpo in (False, True):
                ours = info.price_per_1m(preference=dpo, full=full)
                if full and served.lora_only:
                    assert ours is None  # no full fine-tuning to price
                    continue
                theirs = served.price_per_token(full, dpo) * 1_000_000
                assert ours == pytest.approx(theirs), (served.name, full, dpo)


def test_inference_prices_are_what_the_emulators_models_list_reports() -> None:
    catalog = default_catalog("together")
    for served in emulated.MODELS:
        info = catalog.get(served.name)
        assert info is not None
        price = served.inference_price()
        assert (info.base_input_price_per_1m, info.base_output_price_per_1m) == (price, price)
        assert (info.input_price_per_1m, info.output_price_per_1m) == (price, price)


def test_bands_and_dpo_factor_are_the_emulators() -> None:
    assert PRICE_BANDS == emulated.PRICE_BANDS
    assert DPO_PRICE_FACTOR == emulated.DPO_PRICE_FACTOR
    assert band_prices(8) == (0.48, 0.54)
    assert band_prices(20) == (1.50, 1.65)
    assert band_prices(72) == (2.90, 3.20)
    assert band_prices(405) == (2.90, 3.20)  # priced individually by Together: the top band


def test_prices_are_labelled_with_their_source() -> None:
    assert PRICE_SOURCE == "as published by Together in 2025-11; check its price list"
    assert PRICE_SOURCE in " ".join((together_catalog.__doc__ or "").split())
    assert default_catalog("together").price_source == PRICE_SOURCE
    assert default_catalog("openai").price_source is None


def test_service_and_default_model() -> None:
    catalog = default_catalog("together")
    assert catalog.service == "together"
    assert catalog.default_model == DEFAULT_TOGETHER_MODEL
    assert catalog.default_model == "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
    assert default_catalog("together") is catalog  # shared: catalogs are immutable
    assert all(set(m.methods) == {"supervised", "dpo"} for m in catalog)


@pytest.mark.parametrize(
    ("model_id", "encoding", "tokenizer", "template"),
    [
        ("meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", "cl100k_base", "Llama 3", "llama3"),
        ("Qwen/Qwen2.5-72B-Instruct", "cl100k_base", "Qwen 2.5", "qwen2.5"),
        ("mistralai/Mistral-7B-Instruct-v0.2", "cl100k_base", "Mistral", None),
        ("openai/gpt-oss-20b", "o200k_base", "o200k_harmony", None),
    ],
)
def test_every_model_is_counted_as_a_labelled_estimate(
    model_id: str, encoding: str, tokenizer: str, template: str | None
) -> None:
    resolution = default_catalog("together").resolve(model_id)
    assert resolution.exact and resolution.notice is None
    assert resolution.encoding == encoding and not resolution.encoding_known
    assert resolution.chat_template == template
    assert resolution.count_note is not None
    assert resolution.count_note.startswith(f"estimated with {encoding}: ")
    assert tokenizer in resolution.count_note


def test_the_llama_label_says_what_was_chosen_and_why() -> None:
    resolution = default_catalog("together").resolve(DEFAULT_TOGETHER_MODEL)
    assert resolution.count_note == (
        "estimated with cl100k_base: tuner has no Llama 3 tokenizer offline"
    )


def test_ids_in_any_case_and_fine_tuned_output_names_resolve() -> None:
    catalog = default_catalog("together")
    assert catalog.get("qwen/qwen2.5-7b-instruct").id == "Qwen/Qwen2.5-7B-Instruct"
    trained = emulated.output_name(DEFAULT_TOGETHER_MODEL, "support-bot", "a1b2c3d4")
    resolution = catalog.resolve(trained)
    assert resolution.info is not None and resolution.info.id == DEFAULT_TOGETHER_MODEL
    # the 70B's stem is not a prefix of the 8B's, and the longest stem wins
    seventy = emulated.output_name("meta-llama/Meta-Llama-3.1-70B-Instruct-Reference", "", "x")
    assert catalog.resolve(seventy).base_id.endswith("70B-Instruct-Reference")


def test_an_unlisted_model_of_a_known_family() -> None:
    resolution = default_catalog("together").resolve("meta-llama/Llama-3.3-70B-Instruct-Reference")
    assert resolution.info is None and not resolution.exact
    assert (resolution.encoding, resolution.chat_template) == ("cl100k_base", "llama3")
    assert "Llama 3" in resolution.notice and "prices" in resolution.notice


def test_an_unknown_model_is_an_estimate_with_cl100k() -> None:
    resolution = default_catalog("together").resolve("someone/new-model-9B")
    assert resolution.info is None and not resolution.encoding_known
    assert resolution.encoding == "cl100k_base"
    assert "does not know" in resolution.notice and "cl100k_base" in resolution.notice


def test_a_new_model_takes_its_familys_counting() -> None:
    catalog = default_catalog("together").with_overrides(
        [{"id": "meta-llama/Llama-3.2-3B-Instruct", "training_price_per_1m": 0.48}]
    )
    info = catalog.get("meta-llama/Llama-3.2-3B-Instruct")
    assert info.encoding == "cl100k_base" and info.chat_template == "llama3"
    assert "Llama 3" in info.tokenizer_note
    assert catalog.service == "together" and catalog.default_model == DEFAULT_TOGETHER_MODEL
    copy = pickle.loads(pickle.dumps(catalog))
    assert copy.models == catalog.models and copy.service == "together"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"id": DEFAULT_TOGETHER_MODEL, "full_training_price_per_1m": -1}, "full_training"),
        ({"id": DEFAULT_TOGETHER_MODEL, "dpo_training_price_per_1m": "x"}, "dpo_training"),
        ({"id": DEFAULT_TOGETHER_MODEL, "dpo_example_token_limit": 0}, "dpo_example"),
        ({"id": DEFAULT_TOGETHER_MODEL, "training_types": ["qlora"]}, "training_types"),
        ({"id": DEFAULT_TOGETHER_MODEL, "chat_template": "llama2"}, "chat_template"),
        ({"id": DEFAULT_TOGETHER_MODEL, "tokenizer_note": "  "}, "tokenizer_note"),
        ({"id": "someone/x"}, "encoding"),
    ],
)
def test_bad_overrides_name_the_field(entry: dict[str, object], field: str) -> None:
    with pytest.raises(CatalogError, match=f"models entry 1.*'{field}"):
        default_catalog("together").with_overrides([entry])


def test_an_override_changes_only_its_fields() -> None:
    catalog = default_catalog("together").with_overrides(
        [{"id": "Qwen/Qwen2.5-7B-Instruct", "training_price_per_1m": 0.5}]
    )
    info = catalog.get("Qwen/Qwen2.5-7B-Instruct")
    assert info.training_price_per_1m == 0.5 and info.dpo_training_price_per_1m == 1.2
    assert not catalog.builtin_prices(info)
    assert catalog.builtin_prices(catalog.get(DEFAULT_TOGETHER_MODEL))
