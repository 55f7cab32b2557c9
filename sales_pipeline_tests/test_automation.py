"""Declarative automation, the nightly schedule and the freshness checks, evaluated in tests."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

import dagster as dg

from sales_pipeline.automation import freshness
from sales_pipeline.definitions import build_definitions, summary_assets
from sales_pipeline.settings import Settings
from sales_pipeline.summaries import SUMMARY_NAMES

from .conftest import drop, ingest
from .samples import csv_bytes, sales_frame


def requested(result) -> set[str]:
    return {name for name in [*SUMMARY_NAMES, "alerts"] if result.get_num_requested(dg.AssetKey(name))}


def test_summaries_refresh_once_after_new_data(lake, resources, instance, settings) -> None:
    defs = build_definitions(settings)
    selection = dg.AssetSelection.groups("summaries")
    quiet = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=selection)
    assert quiet.total_requested == 0, "nothing to do before any data"

    drop(lake, "sales/a.csv", csv_bytes(sales_frame(30)))
    assert ingest("sales/a.csv", resources, instance).success
    after_load = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=selection, cursor=quiet.cursor
    )
    # alerts depend on daily_by_branch, which is requested in the same tick: one pass refreshes all.
    assert requested(after_load) == {*SUMMARY_NAMES, "alerts"}

    assert dg.materialize(summary_assets(settings), resources=resources, instance=instance).success
    next_tick = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=selection, cursor=after_load.cursor
    )
    assert requested(next_tick) == set(), "one load refreshes the summaries once"


def test_nightly_schedule_targets_the_summaries_job(instance) -> None:
    settings = Settings.from_env({"SALES_SUMMARY_CRON": "30 3 * * *"})
    schedule = build_definitions(settings).get_schedule_def("refresh_summaries_schedule")
    assert schedule.cron_schedule == "30 3 * * *"
    assert schedule.job_name == "refresh_summaries"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 1, 1, 3, 30)) as context:
        tick = schedule.evaluate_tick(context)
    assert len(tick.run_requests) == 1


def run_freshness(summary, checks, resources, instance) -> dg.AssetCheckEvaluation:
    result = dg.materialize(
        [summary, *checks], resources=resources, instance=instance, selection=dg.AssetSelection.checks(*checks)
    )
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.asset_key == summary.key]
    return evaluation


def test_freshness_check_warns_when_summaries_are_old(lake, resources, instance, settings) -> None:
    drop(lake, "sales/a.csv", csv_bytes(sales_frame(20)))
    assert ingest("sales/a.csv", resources, instance).success
    summary = summary_assets(settings)[0]
    assert dg.materialize([summary], resources=resources, instance=instance).success

    fresh_checks, _ = freshness([summary], hours=1)
    assert run_freshness(summary, fresh_checks, resources, instance).passed

    stale_checks, _ = freshness([summary], hours=1 / 3600)  # one second
    time.sleep(2)
    stale = run_freshness(summary, stale_checks, resources, instance)
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.WARN


def test_freshness_bound_comes_from_settings() -> None:
    settings = replace(Settings(), freshness_hours=5)
    defs = build_definitions(settings).get_repository_def()
    assert any(key.name == "freshness_check" for key in defs.asset_graph.asset_check_keys)
    assert Settings.from_env({"SALES_FRESHNESS_HOURS": "5"}).freshness_hours == 5
