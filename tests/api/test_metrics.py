"""Metric points from events and from result CSVs of several vintages."""

from __future__ import annotations

import base64

from tuner.api.jobs.metrics import MetricPoint, parse_result_csv, point_from_mapping


def test_old_and_new_csv_columns() -> None:
    old = (
        "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n"
        "2,0.5,0.8,,\n"
        "1,0.9,0.6,1.0,0.5\n"
    )
    points = parse_result_csv(old)
    assert [p.step for p in points] == [1, 2]
    assert points[0] == MetricPoint(1, None, 0.9, 0.6, 1.0, 0.5)
    assert points[1].valid_loss is None
    new = (
        "step,train_loss,train_mean_token_accuracy,full_valid_loss,full_valid_mean_token_accuracy,extra\n"
        "3,0.4,0.9,0.7,0.75,whatever\n"
    )
    assert parse_result_csv(new) == [
        MetricPoint(
            3,
            train_loss=0.4,
            train_mean_token_accuracy=0.9,
            full_valid_loss=0.7,
            full_valid_mean_token_accuracy=0.75,
        )
    ]


def test_base64_bom_and_junk_rows() -> None:
    text = "\ufeffStep,Train_Loss\n1,0.5\nnot-a-step,1\n2,nan\n"
    encoded = base64.b64encode(text.encode()).decode()
    points = parse_result_csv(encoded)
    assert points == [MetricPoint(1, train_loss=0.5), MetricPoint(2)]
    assert parse_result_csv("") == []


def test_mapping_without_step() -> None:
    assert point_from_mapping({"train_loss": 1}) is None
