"""The facts table: one row per service kind, the same facts from a profile, a connection, an
opened service's capabilities and a catalog, and the questions callers ask of them."""

from __future__ import annotations

import pytest

from tuner.api.deadlines import closes_for
from tuner.api.jobs.spec import SUFFIX_MAX
from tuner.api.migrate.settings import suffix_limit
from tuner.api.open import service_capabilities
from tuner.api.providers.together.specs import SUFFIX_MAX as TOGETHER_SUFFIX_MAX
from tuner.config import KINDS, Connection, Profile
from tuner.config.service_facts import (
    AZURE_FACTS,
    OPENAI_FACTS,
    SERVICE_FACTS,
    TOGETHER_FACTS,
    DefaultModels,
    LearningRate,
    ModelTable,
    RulesFamily,
    UnknownService,
    facts_for,
)
from tuner.data.catalog.choice import default_catalog
from tuner.data.estimate import default_epochs, service_default_epochs
from tuner.data.service_kinds import rules_family, rules_label, service_name


def test_one_row_per_kind_the_settings_file_accepts() -> None:
    assert tuple(SERVICE_FACTS) == KINDS == ("openai", "azure", "together")
    for kind, facts in SERVICE_FACTS.items():
        assert facts.kind == kind
        assert facts_for(kind) is facts


def test_an_unknown_kind_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(UnknownService, match="'mistral'; it knows openai, azure, together"):
        facts_for("mistral")
    with pytest.raises(UnknownService):
        rules_family("mistral")


def test_the_rules_family_is_an_enum_that_still_reads_as_its_word() -> None:
    assert rules_family("openai") is RulesFamily.OPENAI
    assert rules_family("azure") is RulesFamily.OPENAI
    assert rules_family("together") is RulesFamily.TOGETHER
    assert f"{RulesFamily.TOGETHER}" == "together"  # reports and JSON say the plain word


def test_the_openai_api_facts() -> None:
    for facts in (OPENAI_FACTS, AZURE_FACTS):
        assert facts.rules is RulesFamily.OPENAI
        assert facts.suffix_max == 64
        assert facts.epochs == (1, 50)
        assert facts.batch_sizes == (1, 256)
        assert facts.default_epochs is None  # OpenAI's rule by the number of examples
        assert facts.learning_rate is LearningRate.MULTIPLIER
        assert not facts.absolute_learning_rate
        assert facts.default_models is DefaultModels.SETTINGS
    assert not OPENAI_FACTS.models_need_deployment and AZURE_FACTS.models_need_deployment
    assert OPENAI_FACTS.openai_closing and not AZURE_FACTS.openai_closing
    assert OPENAI_FACTS.model_table is ModelTable.OPENAI and OPENAI_FACTS.openai_shutdowns
    assert AZURE_FACTS.model_table is ModelTable.AZURE and not AZURE_FACTS.openai_shutdowns


def test_the_together_facts() -> None:
    facts = TOGETHER_FACTS
    assert facts.rules is RulesFamily.TOGETHER
    assert facts.suffix_max == 40
    assert facts.epochs is None and facts.batch_sizes is None  # per model only
    assert facts.default_epochs == 1
    assert facts.default_batch_is_largest
    assert facts.absolute_learning_rate
    assert not facts.models_need_deployment
    assert not facts.openai_closing and not facts.openai_shutdowns
    assert facts.default_models is DefaultModels.CATALOG


def test_names_and_labels_come_from_the_table() -> None:
    assert [service_name(kind) for kind in KINDS] == ["OpenAI", "Azure OpenAI", "Together AI"]
    assert rules_label("azure") == "OpenAI rules (Azure OpenAI)"
    assert rules_label("together") == "Together AI rules"


def test_the_job_checks_use_the_tables_suffix_lengths() -> None:
    assert OPENAI_FACTS.suffix_max == SUFFIX_MAX
    assert TOGETHER_FACTS.suffix_max == TOGETHER_SUFFIX_MAX


@pytest.mark.parametrize("kind", KINDS)
def test_profile_connection_capabilities_and_catalog_give_the_same_facts(kind: str) -> None:
    facts = facts_for(kind)
    endpoint = "https://example.openai.azure.com" if kind == "azure" else None
    assert Profile("p", kind=kind).facts is facts  # type: ignore[arg-type]
    connection = Connection("p", kind=kind, azure_endpoint=endpoint)  # type: ignore[arg-type]
    assert connection.facts is facts
    capabilities = service_capabilities(connection)
    assert capabilities.facts is facts
    assert capabilities.rules is facts.rules
    assert capabilities.models_need_deployment == facts.models_need_deployment
    assert capabilities.absolute_learning_rate == facts.absolute_learning_rate
    assert suffix_limit(capabilities) == facts.suffix_max
    assert default_catalog(kind).facts is facts


def test_openai_closing_applies_only_to_openai_models_on_openai() -> None:
    assert closes_for(OPENAI_FACTS)
    assert closes_for(OPENAI_FACTS, "ft:gpt-4o-mini-2024-07-18:org:x:abc")
    assert not closes_for(OPENAI_FACTS, "meta-llama/Llama-3-8b")  # a compatible host's model
    assert not closes_for(AZURE_FACTS, "gpt-4o-mini-2024-07-18")
    assert not closes_for(TOGETHER_FACTS)


def test_default_epochs_by_the_facts() -> None:
    assert service_default_epochs("openai", 20) == default_epochs(20) == 5
    assert service_default_epochs("azure", 20) == 5
    assert service_default_epochs("together", 20) == 1
    assert service_default_epochs("together", 0) == 0


def test_the_model_table_decides_the_retirement_dates() -> None:
    openai, azure = default_catalog("openai"), default_catalog("azure")
    model = "gpt-4o-mini-2024-07-18"
    assert openai.resolve(model).info is not None and azure.resolve(model).info is not None
    assert openai.resolve(model).info.shutdown != azure.resolve(model).info.shutdown
    assert default_catalog("together").facts.default_models is DefaultModels.CATALOG
