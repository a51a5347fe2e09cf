"""The loss chart alone: live points, the full record replacing them, the accuracy toggle."""

from __future__ import annotations

from tests.helpers import host_app
from tuner.api.jobs.metrics import MetricPoint
from tuner.ui.widgets.loss_chart import LossChart


def point(step: int, *, valid: bool = False) -> MetricPoint:
    return MetricPoint(
        step=step,
        total_steps=10,
        train_loss=2.0 / step,
        train_mean_token_accuracy=0.5 + step / 40,
        valid_loss=2.5 / step if valid else None,
    )


async def test_points_are_plotted_by_kind_and_the_toggle_switches() -> None:
    chart = LossChart()
    app = host_app(chart)
    async with app.run_test(size=(80, 20)) as pilot:
        for step in range(1, 6):
            chart.add(point(step, valid=step % 2 == 1))
        await pilot.pause()
        assert set(chart.plotted) == {"train_loss", "valid_loss"}
        assert chart.plotted["train_loss"][0] == [1, 2, 3, 4, 5]
        assert chart.plotted["valid_loss"][0] == [1, 3, 5]
        chart.accuracy = True
        await pilot.pause()
        assert set(chart.plotted) == {"train_mean_token_accuracy"}


async def test_the_result_file_replaces_the_live_points() -> None:
    chart = LossChart()
    app = host_app(chart)
    async with app.run_test(size=(80, 20)) as pilot:
        chart.add(point(3))
        chart.replace([point(step) for step in range(1, 11)])
        await pilot.pause()
        assert chart.series.source == "result file" and len(chart.series) == 10
        chart.replace([])  # an empty record never wipes what is drawn
        assert len(chart.series) == 10


async def test_no_points_yet_says_so() -> None:
    chart = LossChart()
    app = host_app(chart)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        assert chart.plotted == {}
        assert "loss" in str(chart.render())
