"""The evaluation table: model x kind x with/without `--verify`, from the runs' JSON files.

Each `eval_tasks.py` run writes `results/eval_<label>.json`; this collects those runs into
one Markdown table (`results/eval_table.md`) with pass rates, median time per task and the
gain `--verify` brings on fix tasks, beside the issue's targets, for the suite and each
held-out round, and a failure taxonomy (`eval_taxonomy.py`: counts per class and run).
`results/taxonomy.md` classifies every failed task of every run JSON under `results/`,
old runs and archives included.

    python benchmarks/eval_table.py [--results benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from eval_taxonomy import CLASSES, classify, task_facts

from jupyter_localai.core.defaults import MAX_TOKENS

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
# Held-out rounds: folder under tasks and results, and what the reader should know of it.
HOLDOUT_ROUNDS = (
    ("tasks_holdout", "Held-out tasks (`benchmarks/tasks_holdout/`)",
     ("Written after the checks and hints by someone who had not read them or the\n"
     "suite's tasks: whether the improvements carry over to work nobody tuned for.")),
    ("tasks_holdout2", "Held-out round 2 (`benchmarks/tasks_holdout2/`)",
     ("24 tasks written blind (without reading the suite, the first held-out set or the\n"
     "assistant's checks, hints and repairs) before the quality work of issue 19 (0efce74);\n"
     "the run column's commit says which code answered: 9f708eb is the code before that\n"
     "work.")),
    ("tasks_holdout3", "Held-out round 3 (`benchmarks/tasks_holdout3/`)",
     ("20 tasks written blind (without reading the suite, the earlier rounds, any results or\n"
     "the assistant's checks, hints and repairs), committed (164907d) before any model saw\n"
     "them. The `first_` runs are blind; every failure of the 0.5B's first run was read\n"
     "afterwards, so the `seen_` runs are on seen tasks (`tasks_holdout3/README.md`).")),
    ("tasks_holdout4", "Held-out round 4 (`benchmarks/tasks_holdout4/`)",
     ("20 tasks written blind the same way, committed (d50729f) before any model saw them;\n"
     "the `first_` runs are blind (`tasks_holdout4/README.md`).")),
    ("tasks_holdout5", "Held-out round 5 (`benchmarks/tasks_holdout5/`)",
     ("20 tasks written blind the same way, committed (c459cce) before any model saw them;\n"
     "the `first_` runs are blind (`tasks_holdout5/README.md`).")),
    ("tasks_holdout6", "Held-out round 6 (`benchmarks/tasks_holdout6/`)",
     ("20 tasks written blind the same way, committed (11306f1) before any model saw them;\n"
     "the `first_` runs are blind (`tasks_holdout6/README.md`).")),
    ("tasks_holdout7", "Held-out round 7 (`benchmarks/tasks_holdout7/`)",
     ("20 tasks written blind the same way, committed (b4c2541) before any model saw them;\n"
     "the `first_` runs are blind (`tasks_holdout7/README.md`).")),
    ("tasks_holdout8", "Held-out round 8 (`benchmarks/tasks_holdout8/`)",
     ("20 tasks written blind the same way, committed (77b1f94) before any model saw them;\n"
     "the `first_` runs are blind (`tasks_holdout8/README.md`).")),
    ("tasks_holdout9", "Held-out round 9 (`benchmarks/tasks_holdout9/`)",
     ("20 tasks written blind the same way, committed (558a010) before any model saw them;\n"
     "the `first_` runs are blind (`tasks_holdout9/README.md`).")),
    ("tasks_holdout10", "Held-out round 10 (`benchmarks/tasks_holdout10/`)",
     ("20 tasks written blind the same way, committed (61b7d7d) before any model saw them;\n"
     "the `first_` runs are blind (`tasks_holdout10/README.md`).")),
    ("tasks_holdout11", "Held-out round 11 (`benchmarks/tasks_holdout11/`)",
     ("20 tasks written blind the same way, committed (d9a94af) before any model saw them;\n"
     "the `first_` runs are blind (`tasks_holdout11/README.md`).")),
    ("tasks_holdout12", "Held-out round 12 (`benchmarks/tasks_holdout12/`)",
     ("20 tasks written blind the same way, committed (d23f063) before any model saw them;\n"
     "the `first_` runs are blind (`tasks_holdout12/README.md`).")),
    ("tasks_holdout13", "Held-out round 13 (`benchmarks/tasks_holdout13/`)",
     ("20 tasks written blind the same way, committed (806775c) before any model saw them;\n"
      "the `first_` runs are blind (`tasks_holdout13/README.md`).")),
    ("tasks_holdout14", "Held-out round 14 (`benchmarks/tasks_holdout14/`)",
     ("20 tasks written blind the same way, committed (2c91a57) before any model saw them;\n"
      "the `first_` runs are blind (`tasks_holdout14/README.md`).")),
    ("tasks_holdout15", "Held-out round 15 (`benchmarks/tasks_holdout15/`)",
     ("20 tasks written blind the same way, committed (893ce2c) before any model saw them;\n"
      "the `first_` runs are blind (`tasks_holdout15/README.md`).")),
    ("tasks_holdout16", "Held-out round 16 (`benchmarks/tasks_holdout16/`)",
     ("20 tasks written blind the same way, committed (46129f7) before any model saw them;\n"
      "the `first_` runs are blind (`tasks_holdout16/README.md`).")),
)
# Tasks of a round whose failures were read and answered with a general hint afterwards: no
# longer unseen for code after that, so the round is also reported without them.
SEEN_SINCE = {
    # The first three after e62c407's reading; the other seven after the 0.5B's failures at
    # e62c407 were read for the rehearsal rewrites and live hint edits (7d18007).
    "tasks_holdout2": ("datetime_not_imported", "groupby_abbreviated_column",
                       "fillna_method_keyword", "astype_int_with_missing",
                       "axes_xlabel_pyplot_style", "count_words_missing_key", "day_first_dates",
                       "loc_label_after_filter", "merge_key_named_differently",
                       "price_text_to_float"),
    # The 0.5B's fix failures at ad77b0a, read for the hints of 7977f48-7783528; the 1.5B's
    # one-line legend fix, read for the names taken away before a fix runs (4383d78).
    "tasks_holdout4": ("german_price_strings_to_float", "quarterly_hist_grid_axes",
                       "site_visits_month_end_alias", "step_count_day_changes_range",
                       "store_category_share_rows", "orders_legend_corner_name"),
    # The 0.5B's fix failures in the blind run at c459cce, read for the hints of c03fe6d;
    # then every generate answer of both models at c03fe6d, read for the row-of-parts
    # repair (9e84903), the rehearsal's refusals (2aac566) and the tick-labels hint (4383d78).
    "tasks_holdout5": ("crm_orders_merge_customer_id_text", "sales_reps_north_filter_and",
                       "store_zip_codes_leading_zeros", "thermostat_readings_zero_to_nan",
                       "weather_station_two_panel_figure", "cafe_daily_sales_weekly_totals",
                       "gym_checkins_latest_per_member", "lab_plate_minmax_scale_columns",
                       "library_loans_branch_month_counts", "museum_visitors_weekday_bar_chart",
                       "playlist_tracks_chunk_function", "product_sku_split_into_columns",
                       "recipe_ingredients_shopping_totals",
                       "signup_names_tidy_spacing_and_case", "stock_prices_two_tickers_line_chart"),
    # Every failure of both models' blind run at 11306f1, read for the module-sort check
    # (360b782), the dates-as-text repair (60e4c2d) and the replace rewrites (2f7575f).
    "tasks_holdout6": ("race_times_median_float_index", "card_spend_monthly_totals",
                       "contacts_email_domain_column", "department_budget_horizontal_bars",
                       "exam_scores_minmax_per_column", "headline_url_slugs",
                       "hotel_checkin_weekday_names", "region_top_product_by_revenue",
                       "timesheet_hours_pivot_table"),
    # Every failure of both models' blind run at de4af4d, read (the 0.5B's fix attempts
    # traced one by one) for the hint edits of f97e66c and the API edits after it.
    "tasks_holdout7": ("brand_share_labels_format_series", "feature_rows_split_float_slice",
                       "june_visits_plot_range_short", "leaderboard_sorted_dicts_no_key",
                       "pressure_volts_ndarray_append", "recipe_scale_dict_unpack",
                       "returns_by_category_column_tuple", "trial_end_timedelta_months",
                       "weekly_units_merge_suffixes", "bottle_names_and_volume_ml",
                       "card_numbers_mask_all_but_four", "class_scores_rank_within_class",
                       "merge_overlapping_room_bookings", "nested_config_flatten_dotted",
                       "orders_working_days_to_ship", "region_revenue_bars_biggest_first",
                       "store_quarters_wide_to_long", "ticker_prices_daily_returns"),
    # Every failure of both models' blind run at 7a5e59e (the 1.5B's are among the 0.5B's),
    # read for the edits of 6bf997d and 82e1caf and the checks of bf6aa10 and 41b4c9b.
    "tasks_holdout8": ("merge_customer_id_text_vs_int", "team_mean_with_player_names",
                       "utc_events_naive_cutoff", "weather_two_panel_axes_array",
                       "weekly_visitors_resample_column", "age_completed_years_on_date",
                       "category_median_price_fill", "latency_iqr_outliers",
                       "log_errors_per_day_count", "quarterly_wide_to_long_regions",
                       "response_time_histogram_labeled", "review_top_three_words",
                       "shift_length_hours_overnight", "top_two_salaries_each_dept"),
    # Every failure of both models' blind run at 558a010 (the 1.5B's are among the 0.5B's),
    # read for the edits of 49a7629 and 892537b.
    "tasks_holdout9": ("csv_header_line", "currency_strings_mean", "discount_int_price_column",
                       "json_numpy_int", "standardize_wrong_axis", "weighted_mean_dropped_rows",
                       "basket_pair_counts", "csv_per_team", "email_domain_counts",
                       "fill_temp_by_city_mean", "latency_zscore_outliers", "log_level_counts",
                       "monthly_totals_with_gaps", "rolling_mean_full_windows",
                       "session_length_histogram"),
    # Every failure of both models' blind run at 61b7d7d, read for the edits of 48fc21d.
    "tasks_holdout10": ("correlation_matrix_with_name_column",
                        "group_filenames_by_extension_keyerror",
                        "json_roundtrip_int_keys_become_strings", "monthly_line_plot_x_one_short",
                        "regex_match_anchors_at_line_start", "standardize_columns_wrong_axis",
                        "clean_names_whitespace_title_case_initials",
                        "dollar_amounts_with_thousands_separators",
                        "flatten_nested_config_dotted_keys", "iqr_rule_latency_outliers",
                        "order_counts_by_weekday_calendar_order",
                        "read_semicolon_csv_decimal_comma_dayfirst",
                        "revenue_pivot_store_by_product", "seven_day_moving_average_full_windows",
                        "top_ticket_categories_horizontal_bars"),
    # Two reference answers read after the blind runs at d23f063, for the false alarms
    # mended in c652b63; the other failures' errors were read, no code made from them yet.
    # Every fix task of round 12 (read whole for the edits of d9f945d) and the two whose
    # references were read for c652b63.
    "tasks_holdout12": ("channel_quarter_revenue_stacked_bars", "speaker_names_split_first_last",
                        "badge_swipes_utc_to_paris_hour", "donations_csv_reader_by_header",
                        "greenhouse_humidity_none_isnan", "menu_items_namedtuple_price_update",
                        "order_quantities_mask_precedence", "patient_age_bands_cut_label_missing",
                        "shop_orders_isin_two_cities", "support_subjects_ticket_number_no_match",
                        "weekday_signups_xticks_labels_only"),
    # Every failure of both models' blind run at d9f945d, read for the checks of 0037617 and
    # the edit of 24f6321.
    "tasks_holdout13": ("bakery_monthly_pivot", "crm_email_domains", "helpdesk_phone_format",
                        "lab_minmax_columns", "member_age_full_years",
                        "payroll_top_earner_per_dept", "shipping_business_days"),
    # Every failure of both models' blind run at 2c91a57, read for the edits of de86218 and
    # 36a2acb and the checks of 582f548-f9f4e0c.
    "tasks_holdout14": ("bakery_agg_dict_renamer", "column_zscores_population",
                        "depot_distance_matrix", "favourite_item_per_customer",
                        "hourly_reshape_wrong_days", "invoice_apply_missing_axis",
                        "normalise_phone_numbers", "revenue_barh_sorted",
                        "sensor_stack_new_row", "top_hashtags_counts", "top_scorer_per_team",
                        "warehouse_category_pivot", "weekly_energy_totals"),
    # All ten fix tasks of the blind run at d84c055 (nine failed for one model or both; the
    # tenth's failing cell was read with them), read for the edits that followed it. Its
    # generate tasks are not read yet.
    "tasks_holdout16": ("assemble_dates_without_day", "datetime_compared_with_date",
                        "dict_from_three_field_rows", "fancy_index_rows_and_columns",
                        "loc_two_columns_without_list", "max_of_an_empty_list",
                        "pie_autopct_lone_percent", "quantile_given_a_percent",
                        "query_column_name_with_space", "split_bytes_with_text_separator"),
    # Every failure of both models' blind run at 2f5cd4c, read for the edits of 24e0ba0,
    # 60525d2 and 8e759a8 and the checks of 48d056b-797ebc1.
    "tasks_holdout15": ("age_in_completed_years", "counter_over_list_routes",
                        "daily_mean_and_peak_hour_with_gaps", "fill_missing_temp_by_city",
                        "flatten_nested_config_dotted", "last_first_names_to_display",
                        "mean_of_best_three_tests", "resample_text_timestamps",
                        "running_total_inside_function", "shipped_spend_per_customer_csv",
                        "standardize_int_array_in_place", "top_two_products_per_region",
                        "user_balances_from_transactions"),
    # Every failure of both models' blind run at d9a94af, read for the edits of 7b67d58 and
    # the checks after it.
    "tasks_holdout11": (
                        "invoice_next_month_first_day_december",
                        "letter_grade_function_on_series",
                        "monthly_exports_path_plus_str",
                        "plan_counts_bar_missing_height",
                        "price_tags_format_code_on_text",
                        "restock_tuples_item_assignment",
                        "score_lines_format_dict_positional",
                        "store_day_units_zeros_shape",
                        "survey_columns_rename_with_list",
                        "temperature_labels_where_no_else",
                        "campaign_urls_utm_source",
                        "clickstream_sessions_thirty_minute_gap",
                        "latency_clip_to_percentiles",
                        "rainfall_bars_with_mean_line",
                        "release_versions_numeric_sort",
                        "store_revenue_month_over_month_pct",
                        "subscription_renewal_month_end_clamp",
                        "uptime_status_run_lengths",
                        "hourly_load_best_three_hour_window"),
}
# A round's hand-written reading (commands, load, what the figures mean), kept on regeneration.
READING_FILE = "reading.md"
TARGETS = {"qwen2.5-coder-0.5b": 0.70, "qwen2.5-coder-1.5b": 0.85}
VERIFY_GAIN_TARGET = 0.10


def load_runs(results: Path, pattern: str = "eval_*.json") -> list[dict[str, Any]]:
    """Every full run (not `--limit`/`--task` samples) in `results` whose file matches."""
    runs = []
    for path in sorted(results.glob(pattern)):
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or "summary" not in data or "results" not in data:
            continue
        meta = data.get("meta", {})
        options = meta.get("options", "")
        if "--limit" in options or "--task" in options or "--oracle" in options:
            continue
        done, _, planned = str(meta.get("tasks run", "")).partition(" of ")
        if planned and done != planned:
            continue  # still running, or stopped part way
        runs.append({"file": path.name, "meta": meta, "summary": data["summary"],
                     "results": data["results"], "verify": "--verify" in options,
                     "tasks": tasks_folder(path, meta)})
    return runs


# ---------------------------------------------------------------- failure taxonomy


def tasks_folder(path: Path, meta: dict[str, Any]) -> str:
    """The task folder a run used: its meta's, else the results folder it sits in."""
    if meta.get("tasks"):
        return str(meta["tasks"])
    for parent in path.parents:
        if parent.name.startswith("tasks_holdout"):
            return parent.name
    return "tasks"


def load_facts(folder: str) -> dict[str, Any]:
    """Task id -> TaskFacts for the tasks in `benchmarks/<folder>/` (empty if absent)."""
    from eval_tasks import load_tasks  # late: eval_tasks pulls in the kernel machinery

    root = BENCH_DIR / folder
    if not root.is_dir():
        return {}
    return {t.id: task_facts(t.kind, t.setup, t.reference, t.request, t.failing_cell)
            for t in load_tasks(root)}


def run_cap(meta: dict[str, Any]) -> int:
    """The token cap a run asked with (the magic's default unless --max-tokens was given)."""
    found = re.search(r"--max-tokens (\d+)", meta.get("options", ""))
    return int(found.group(1)) if found else MAX_TOKENS


def classified(run: dict[str, Any], facts: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """Each failed task of a run with its class (computed again, so all runs agree)."""
    cap = run_cap(run["meta"])
    return [(r, classify(r, facts.get(r["id"]), cap) or "") for r in run["results"]
            if not r.get("passed")]


def _taxonomy_rows(runs: list[dict[str, Any]], round_name: str,
                   facts_by_folder: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for run in sorted(runs, key=lambda r: (r["meta"].get("model", ""), r["verify"], r["file"])):
        facts = facts_by_folder.setdefault(run["tasks"], load_facts(run["tasks"]))
        for kind in ("fix", "generate"):
            rows = [c for r, c in classified(run, facts) if r.get("kind") == kind]
            block = run["summary"].get(kind) or {}
            if not block.get("tasks"):
                continue
            counts = [rows.count(name) for name in CLASSES]
            lines.append(
                f"| {round_name} | {run['meta'].get('model')} | {kind} "
                f"| {'yes' if run['verify'] else 'no'} | {run['meta'].get('commit')} "
                f"| {block['tasks'] - len(rows)}/{block['tasks']} | "
                + " | ".join(str(n) if n else "" for n in counts) + " |")
    return lines


def taxonomy_table(rounds: list[tuple[str, list[dict[str, Any]]]]) -> list[str]:
    """One row per run and kind: how many failed tasks fall in each class."""
    facts_by_folder: dict[str, dict[str, Any]] = {}
    lines = ["| round | model | kind | verify | commit | passed | " + " | ".join(CLASSES) + " |",
             "|---|---|---|---|---|---|" + "---:|" * len(CLASSES)]
    for round_name, runs in rounds:
        lines += _taxonomy_rows(runs, round_name, facts_by_folder)
    return lines


TAXONOMY_LEGEND = [
    "Classes (`benchmarks/eval_taxonomy.py`, derived from the JSON: failure, error, code,",
    "tokens against the cap, and the task's request/reference): `unchanged_fix` the fix",
    "handed back the failing cell; `wrong_name` the asked-for name is not assigned (another",
    "name is), or a NameError/KeyError/attribute named like the user's data; `invented_data`",
    "the user's data was rebound to values made up in the answer; `unassigned_result`",
    "computes but assigns no asked-for name; `wrong_api` a call the installed libraries",
    "refuse (unexpected keyword, removed or missing attribute of a library object, missing",
    "module, property called); `refusal` no code; `truncated` cut at the token cap;",
    "`wrong_result` anything else that ran or raised; `timeout`; `harness` no answer to judge",
    "(setup error, failing cell that did not fail, magic error).",
]


def taxonomy_page(results: Path) -> str:
    """Every run JSON under `results` (archives too): class counts, then each failed task."""
    facts_by_folder: dict[str, dict[str, Any]] = {}
    lines = ["# Failure taxonomy of every evaluation run", "", *TAXONOMY_LEGEND, "",
             "Generated by `python benchmarks/eval_table.py`. Tasks are matched by id to the",
             "task files as they are now; a task since removed is classified without its facts.",
             ""]
    paths = sorted(p for p in results.rglob("*.json") if p.name != "ratios.json")
    for path in paths:
        runs = load_runs(path.parent, path.name)
        if not runs:
            continue
        run = runs[0]
        facts = facts_by_folder.setdefault(run["tasks"], load_facts(run["tasks"]))
        rows = classified(run, facts)
        counts = {name: sum(c == name for _, c in rows) for name in CLASSES}
        meta = run["meta"]
        total = run["summary"]["overall"]
        lines += [f"## `{path.relative_to(results)}`", "",
                  (f"{meta.get('model')}, tasks `{run['tasks']}`, commit {meta.get('commit')}, "
                  f"{meta.get('options')}; passed {total['passed']}/{total['tasks']}."), "",
                  ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "no failures", ""]
        if rows:
            lines += ["| task | kind | class | failure | error |", "|---|---|---|---|---|"]
            for r, cls in rows:
                error = re.sub(r"\s+", " ", r.get("error") or "")[:100].replace("|", "\\|")
                lines.append(f"| {r['id']} | {r.get('kind')} | {cls} | {r.get('failure')} "
                             f"| {error} |")
            lines.append("")
    return "\n".join(lines) + "\n"


def _rate(block: dict[str, Any] | None) -> str:
    if not block or not block.get("tasks"):
        return "-"
    return f"{block['passed']}/{block['tasks']} ({100 * block['pass_rate']:.0f}%)"


def _rows(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| model | kind | verify | passed | median s/task | median first token s | run |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for run in sorted(runs, key=lambda r: (r["meta"].get("model", ""), r["verify"])):
        for kind in ("fix", "generate", "overall"):
            block = run["summary"].get(kind)
            if not block or not block.get("tasks"):
                continue
            lines.append(
                f"| {run['meta'].get('model')} | {kind} | {'yes' if run['verify'] else 'no'} "
                f"| {_rate(block)} | {block.get('median_task_s') or '-'} "
                f"| {block.get('median_ttft_s') or '-'} | `{run['file']}` "
                f"({run['meta'].get('started') or run['meta'].get('date')}, "
                f"{run['meta'].get('commit')}) |"
            )
    return lines


def _verify_gains(runs: list[dict[str, Any]]) -> list[str]:
    """Per model: points `--verify` adds on fix tasks, and the most it could have added; the
    plain run compared is the one of the verify run's commit where there is one."""
    by_model: dict[str, dict[bool, dict[str, Any]]] = {}
    verify_commit = {run["meta"].get("model", "?"): run["meta"].get("commit")
                     for run in runs if run["verify"]}
    for run in runs:
        model = run["meta"].get("model", "?")
        same = {r["meta"].get("commit") for r in runs
                if not r["verify"] and r["meta"].get("model", "?") == model}
        if (not run["verify"] and verify_commit.get(model) in same
                and run["meta"].get("commit") != verify_commit.get(model)):
            continue  # a later plain run of other code: not what the verify run is set against
        by_model.setdefault(model, {})[run["verify"]] = run["summary"]
    lines = []
    for model, summaries in sorted(by_model.items()):
        plain, verified = summaries.get(False), summaries.get(True)
        if not (plain and verified and plain.get("fix", {}).get("tasks")
                and verified["fix"]["tasks"]):
            continue
        gain = verified["fix"]["pass_rate"] - plain["fix"]["pass_rate"]
        headroom = 1.0 - plain["fix"]["pass_rate"]
        verdict = "met" if gain >= VERIFY_GAIN_TARGET else "missed"
        if gain < VERIFY_GAIN_TARGET and headroom < VERIFY_GAIN_TARGET:
            verdict += (f" (without verify {plain['fix']['passed']}/{plain['fix']['tasks']} "
                        f"already pass: at most {100 * headroom:+.0f} was possible)")
        lines.append(f"- {model}: `--verify` on fix tasks {100 * gain:+.0f} points "
                     f"(target +{100 * VERIFY_GAIN_TARGET:.0f}): {verdict}.")
    return lines


def _without_seen(runs: list[dict[str, Any]], seen: tuple[str, ...]) -> list[str]:
    """Per run: the pass rate on the round's tasks still unseen, and on the seen ones."""
    lines = []
    for run in sorted(runs, key=lambda r: (r["meta"].get("model", ""), r["verify"])):
        rows = run["results"]
        rest = [r for r in rows if r["id"] not in seen]
        hinted = [r for r in rows if r["id"] in seen]
        passed = sum(bool(r.get("passed")) for r in rest)
        lines.append(
            f"- {run['meta'].get('model')}{' --verify' if run['verify'] else ''} "
            f"({run['meta'].get('commit')}): without the {len(hinted)} tasks hinted after "
            f"being seen ({', '.join(seen)}) {passed}/{len(rest)} "
            f"({100 * passed / len(rest):.0f}%); those {len(hinted)}: "
            f"{sum(bool(r.get('passed')) for r in hinted)}/{len(hinted)}.")
    return lines


def table(runs: list[dict[str, Any]],
          holdouts: list[tuple[str, str, str, list[dict[str, Any]]]] | None = None,
          readings: dict[str, str] | None = None) -> str:
    """The page: the suite's runs, the targets, each held-out round, the failure taxonomy.

    `holdouts`: (folder, title, description, runs) per held-out round; `readings`: a
    round's hand-written text by folder, placed after its rows."""
    lines = [
        "# Evaluation: model x kind x verify",
        "",
        "A task passes only if its answer runs in a fresh kernel after the task's setup and",
        "the task's check holds (`benchmarks/eval_tasks.py`). `--verify` applies to fix tasks:",
        "each candidate runs in a forked copy of the kernel before it is shown.",
        "",
        *_rows(runs),
    ]
    lines += ["", "## Against the targets", ""]
    by_model: dict[str, dict[bool, dict[str, Any]]] = {}
    for run in runs:
        by_model.setdefault(run["meta"].get("model", "?"), {})[run["verify"]] = run["summary"]
    for model, summaries in sorted(by_model.items()):
        plain = summaries.get(False)
        target = TARGETS.get(model)
        if plain and target is not None and plain["overall"].get("tasks"):
            rate = plain["overall"]["pass_rate"]
            verdict = "met" if rate >= target else f"missed by {100 * (target - rate):.0f} points"
            lines.append(f"- {model}: {100 * rate:.0f}% overall without verify "
                         f"(target {100 * target:.0f}%): {verdict}.")
    lines += _verify_gains(runs)
    rounds = [("suite", runs)]
    for folder, title, description, holdout in holdouts or []:
        lines += ["", f"## {title}", "", description, ""]
        text = (readings or {}).get(folder, "").strip()
        reading = ["", text] if text else []
        if not holdout:
            lines += ["No complete run yet (unfinished runs are left out).", *reading]
            continue
        lines += [*_rows(holdout), "", *_verify_gains(holdout)]
        if folder in SEEN_SINCE:
            lines += _without_seen(holdout, SEEN_SINCE[folder])
        lines += reading
        rounds.append((folder, holdout))
    lines += ["", "## Failure taxonomy", "", *TAXONOMY_LEGEND, "",
              "Failed tasks per class, per run (suite and held-out rounds); each failed task",
              "of every run, old ones included, is listed in `taxonomy.md`.", "",
              *taxonomy_table(rounds)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    holdouts = []
    readings = {}
    for folder, title, description in HOLDOUT_ROUNDS:
        found = args.results / folder
        if (found / READING_FILE).is_file():
            readings[folder] = (found / READING_FILE).read_text(encoding="utf-8")
        # Round 2 names its runs by what they measured (baseline_<model>.json, ...).
        pattern = "eval_*.json" if folder == "tasks_holdout" else "*.json"
        holdouts.append((folder, title, description,
                         load_runs(found, pattern) if found.is_dir() else []))
    text = table(load_runs(args.results), holdouts, readings)
    (args.results / "eval_table.md").write_text(text)
    (args.results / "taxonomy.md").write_text(taxonomy_page(args.results))
    print(text)


if __name__ == "__main__":
    main()
