"""The clock per service: when each fine-tune stops answering, said in days, and the warning
when some of a profile's stop within a month. The service's own model list wins."""

from __future__ import annotations

from datetime import date

from tests.helpers import open_test_service
from tuner.api.deadlines import Retirement, retirement, stopping_soon
from tuner.data.catalog.choice import default_catalog
from tuner.emulator import Emulator

FT = "ft:gpt-4o-mini-2024-07-18:acme:support:abc123"
TODAY = date(2026, 12, 7)


def test_openai_s_last_bases_stop_on_2027_01_14_and_azure_s_later() -> None:
    on_openai = retirement(FT, default_catalog("openai"), TODAY)
    on_azure = retirement(FT, default_catalog("azure"), TODAY)
    assert on_openai == Retirement("gpt-4o-mini-2024-07-18", date(2027, 1, 14), 38)
    assert on_openai.words() == "stops answering in 38 days (2027-01-14)"
    assert on_azure is not None and on_azure.on == date(2027, 10, 1)
    for model in ("gpt-4o-2024-08-06", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14"):
        assert retirement(model, default_catalog(), TODAY).on == date(2027, 1, 14), model
    assert (
        retirement(
            "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", default_catalog("together"), TODAY
        )
        is None
    )


def test_the_service_s_own_date_wins_for_the_model_or_its_base() -> None:
    catalog = default_catalog()
    said = {FT: date(2027, 2, 1)}
    assert retirement(FT, catalog, TODAY, said).on == date(2027, 2, 1)
    said = {"gpt-4o-mini-2024-07-18": date(2027, 3, 1)}
    assert retirement(FT, catalog, TODAY, said).on == date(2027, 3, 1)
    assert (
        retirement(
            "some-model-of-a-gateway", catalog, TODAY, {"some-model-of-a-gateway": TODAY}
        ).days
        == 0
    )


def test_words_for_a_fine_tune_and_for_a_base() -> None:
    later = Retirement("b", date(2027, 1, 14), 38)
    assert later.when() == "in 38 days" and later.words(fine_tuned=False) == "retires 2027-01-14"
    gone = Retirement("b", date(2026, 10, 23), -45)
    assert gone.words() == "stopped answering 2026-10-23" and gone.when() == "2026-10-23"
    assert gone.words(fine_tuned=False) == "retired 2026-10-23"
    one = Retirement("b", date(2026, 12, 8), 1)
    assert one.words() == "stops answering in 1 day (2026-12-08)"
    assert Retirement("b", TODAY, 0).words() == "stops answering today (2026-12-07)"


def test_the_warning_counts_those_within_a_month_and_names_the_keys() -> None:
    soon = [Retirement("b", date(2027, 1, 14), 7), Retirement("b", date(2027, 1, 10), 3)]
    far = [Retirement("b", date(2027, 10, 1), 300), Retirement("b", date(2026, 10, 23), -45)]
    assert stopping_soon(far) is None
    said = stopping_soon([*soon, *far])
    assert said == (
        "2 fine-tunes stop answering in 3 days (2027-01-10): "
        "b back up · r record its answers · m move it"
    )
    assert stopping_soon(soon[:1]).startswith("1 fine-tune stops answering in 7 days")


async def test_the_model_list_s_shutdown_dates_reach_tuner(service_env: Emulator) -> None:
    service = open_test_service(service_env)
    try:
        dates = await service.shutdown_dates()
        models = {m.id: m for m in await service.list_models()}
    finally:
        await service.close()
    assert dates["gpt-4o-mini-2024-07-18"] == date(2027, 1, 14)
    assert models["gpt-4o-mini-2024-07-18"].shutdown == date(2027, 1, 14)
    assert "gpt-3.5-turbo-1106" not in dates  # null: nothing announced
