"""Shared fixtures: real data from the mirror, and temp data dirs for bad-input tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from egovlib import readers
from egovlib.sources import data_root, load_catalogue


@pytest.fixture(scope="session")
def egdi():
    """The full EGDI panel (all editions) from the real data."""
    from egovlib import load_egdi_panel

    return load_egdi_panel()


@pytest.fixture
def temp_data(tmp_path, monkeypatch):
    """A writable copy of the data root plus a copy of the catalogue, both in a temp dir.

    Yields a helper with ``root`` (data dir), ``catalogue`` (path), ``cache`` (parquet dir),
    ``path(file_id)`` (the file's temp copy), ``edit(file_id, old, new)`` (replace text in it and
    re-record its checksum) and ``set_sha(file_id)`` (record the new checksum in the temp
    catalogue so that a content error, not the checksum, is tested). Caches go to a temp dir
    too, so nothing from a bad file reaches the real cache.
    """
    import yaml

    from egovlib.sources import sha256_of

    root = tmp_path / "raw"
    src_root = data_root()
    shutil.copytree(
        src_root, root, ignore=shutil.ignore_patterns("*.md"), copy_function=shutil.copy
    )
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    cat_path = tmp_path / "sources.yml"
    from egovlib import config

    shutil.copy(config.CATALOGUE_PATH, cat_path)
    monkeypatch.setenv("EGOV_DATA_DIR", str(root))
    monkeypatch.setenv("EGOV_CATALOGUE", str(cat_path))
    monkeypatch.setenv("EGOV_CACHE_DIR", str(tmp_path / "cache"))
    readers.clear_memory_cache()

    class TempData:
        def __init__(self):
            self.root, self.catalogue, self.cache = root, cat_path, tmp_path / "cache"

        def path(self, file_id: str) -> Path:
            return root / load_catalogue()[file_id].path

        def set_sha(self, file_id: str) -> None:
            doc = yaml.safe_load(cat_path.read_text())
            doc["files"][file_id]["sha256"] = sha256_of(self.path(file_id))
            cat_path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))

        def edit(self, file_id: str, old: str, new: str, count: int = 1) -> None:
            p = self.path(file_id)
            text = p.read_text(encoding="utf-8")
            assert old in text, f"{old!r} not in {p}"
            p.write_text(text.replace(old, new, count), encoding="utf-8")
            self.set_sha(file_id)

    yield TempData()
    readers.clear_memory_cache()


def run_real_batch(tmp_path_factory) -> Path:
    """Run every notebook in notebooks/ for 2024 once per test session; return the output folder.

    The reports are in ``<folder>/2024/`` (index.html, NN_*.ipynb, NN_*.html, manifest.json) and
    the batch's exit status in ``<folder>/rc``. Shared by the runner, browser and personal-data
    tests (through the `real_batch` fixture), so the batch runs once, not once per test file.
    """
    from egovlib import cli

    out = tmp_path_factory.getbasetemp() / "egov-real-batch"
    marker = out / "rc"
    if not marker.exists():
        out.mkdir(parents=True, exist_ok=True)
        rc = cli.main(["run", "--out", str(out), "--year", "2024"])
        marker.write_text(str(rc))
    return out


@pytest.fixture(scope="session")
def real_batch(tmp_path_factory) -> Path:
    """Output folder of the real 2024 batch (see `run_real_batch`); reports in ``2024/``."""
    return run_real_batch(tmp_path_factory)


# ---------------------------------------------------------------- unit / integration split
# `integration`: a test that needs the data mirror, the batch runner or a browser. Set here, so
# that test files need no marks of their own: a test is integration if it uses one of these
# fixtures, carries one of these marks, or is in one of these modules (whose tests read the
# mirror through egovlib itself). Everything else is a unit test and must pass with no data:
# `make test-unit` runs `pytest -m "not integration"` with EGOV_DATA_DIR pointed at an empty
# folder, which proves it. `make test` runs both.
INTEGRATION_FIXTURES = {"egdi", "temp_data", "real_batch", "real_2024"}  # real_2024: 04 on the data
INTEGRATION_MARKS = {"slow", "browser"}
INTEGRATION_MODULES = {
    "test_readers_gtmi_ai",  # parametrised over the real GTMI files (read at collection)
    "test_readers_education_ict",
    "test_countries",
    "test_egdi_facts",
    "test_change_reports",
    "test_methodology",
    "test_personal_data",
}
# Tests in mixed modules that read the mirror through egovlib (found by running the unit set
# without data: each failed with "raw file not found"). A new test that reads data without one
# of the fixtures above fails `make test-unit` the same way: add it here, or use `egdi`.
INTEGRATION_TESTS = {
    # No data, but a fresh Python, kernel or git clone each (5-12 s): kept out of the fast set.
    "test_plots::test_importing_egovlib_changes_no_visible_state",
    "test_plots::test_every_figure_function_is_built_in_the_house_style",
    "test_notebook_hygiene::test_git_filter_strips_outputs_and_a_fresh_clone_works_without_it",
    "test_notebook_hygiene::test_cli_check_exits_1_and_fix_rewrites",
    "test_models::test_specification_curve_covers_every_choice",
    # Read the mirror.
    "test_models::test_the_curves_fast_fits_equal_the_statsmodels_fits_on_real_data",
    "test_models::test_ols_hc3_and_cooks_distance_are_statsmodels_numbers",
    "test_models::test_multiple_imputation_without_formulas_equals_statsmodels_micedata",
    "test_overview::test_coverage_tables_by_theme",
    "test_engine_fast::test_compare_equals_the_pandas_sort_on_every_spec",
    "test_engine_fast::test_compare_breaks_rank_ties_by_name_and_puts_unranked_last",
    "test_engine_fast::test_imputed_names_and_evaluable_equal_the_reference",
    "test_engine_fast::test_imputed_names_memo_is_not_changed_by_a_caller",
    "test_engine_fast::test_face_validity_with_given_moves_equals_computing_them",
    "test_engine_fast::test_fast_paths_use_no_later_data_than_the_edition",
    "test_engine_fast::test_rank_and_shift_intervals_equal_the_sorting_path",
    "test_engine_fast::test_panel_without_coverage_table_has_the_same_data",
    "test_engine_fast::test_coverage_equals_the_pandas_reference",
    "test_twinning::test_ranking_finding_gives_the_spread_of_each_chosen_rank",
    "test_twinning::test_proposal_finding_gives_the_chosen_mentors_rank_range",
    "test_runner::test_parameters_under_a_title_are_in_words",
    "test_brief::test_another_group_never_speaks_of_the_gcc",
    "test_brief::test_arabic_chart_text_is_shaped",
    "test_brief::test_arabic_country_names_are_the_m49_ones",
    "test_brief::test_arabic_links_say_the_report_is_in_english",
    "test_brief::test_brief_page_escapes_data_strings",
    "test_brief::test_change_finding_carries_report_02s_screens",
    "test_brief::test_chart_rank_labels_do_not_overlap",
    "test_brief::test_dejavu_sans_covers_every_character_of_the_arabic_pages",
    "test_brief::test_english_and_arabic_carry_the_same_numbers",
    "test_brief::test_gcc_2022_facts_match_the_published_data",
    "test_brief::test_gcc_2024_facts_match_the_published_data",
    "test_brief::test_old_edition_speaks_of_its_own_time",
    "test_brief::test_three_recommendations_follow_from_the_other_reports",
    "test_brief::test_three_recommendations_for_another_edition_and_group",
    "test_cli_data::test_catalogue_checksums_match_the_mirror",
    "test_cli_data::test_catalogue_lists_every_file_in_the_mirror",
    "test_cli_data::test_verify_passes_on_the_mirror",
    "test_engine_views::test_03_names_the_least_robust_group_country_and_2008_alone",
    "test_engine_views::test_05_another_group_is_never_called_the_gcc",
    "test_engine_views::test_05_attribution_says_the_rebuild_error_first_and_shows_it_beside_the_costs",
    "test_engine_views::test_05_key_findings_name_the_largest_top10_move_and_the_focus_gain",
    "test_engine_views::test_05_memo_states_each_shift_once_and_sums_up_for_the_focus_country",
    "test_engine_views::test_05_names_things_not_code",
    "test_engine_views::test_05_old_edition_in_one_sentence_without_empty_sections",
    "test_export::test_export_one_format",
    "test_export::test_export_round_trips",
    "test_export::test_export_writes_every_table_in_both_formats_and_touches_nothing_else",
    "test_export::test_exported_covariates_name_their_source_and_variable",
    "test_export::test_exported_panel_has_the_published_values_and_flags",
    "test_models::test_a_cross_country_result_the_within_country_check_does_not_confirm_drops_a_level",
    "test_models::test_a_headline_that_a_control_set_shrinks_says_so_and_is_not_strong",
    "test_models::test_a_null_never_rules_out_what_another_specification_estimates",
    "test_models::test_common_sample_names_the_countries_lost",
    "test_models::test_desk_coded_items_are_not_said_to_be_reported_by_governments",
    "test_models::test_early_editions_have_no_testable_hypothesis_and_no_skipped_model",
    "test_models::test_every_compared_column_2024_has_the_same_countries",
    "test_models::test_guard_override_fits_and_flags",
    "test_models::test_guard_refuses_hci_on_mean_years_of_schooling",
    "test_models::test_headline_2024_contrasts_match_an_independent_formula_fit",
    "test_models::test_headline_2024_holds_no_aggregate_with_its_items",
    "test_models::test_key_findings_are_specific_and_group_neutral",
    "test_models::test_previous_edition_score_is_the_published_one_and_never_crosses_a_break",
    "test_models::test_residuals_inside_the_threshold_are_within_the_expected_range",
    "test_models::test_same_controls_in_every_edition",
    "test_overview::test_a_2008_overview_speaks_of_its_own_time_and_not_of_the_gcc",
    "test_overview::test_coverage_2003_counts_unassessed",
    "test_overview::test_coverage_shares_and_groups",
    "test_overview::test_reference_year_table_has_readable_headers_and_no_empty_rows",
    "test_overview::test_selected_countries_column_for_a_code_list",
    "test_overview::test_vintage_table_matches_the_sensitivity_counts",
    "test_panel::test_coverage_table_shares",
    "test_panel::test_editions_and_unknown_year",
    "test_panel::test_groups",
    "test_panel::test_panel_joins_each_covariate_as_the_vintage_rule_alone_does",
    "test_panel::test_panel_without_covariates_has_full_index_coverage",
    "test_panel::test_vintage_sensitivity_counts_are_consistent",
    "test_report::test_end_matter_lists_terms_used_sources_read_and_a_citation",
    "test_report::test_files_read_lists_each_verified_file_once_in_catalogue_order",
    "test_report::test_resolve_year",
    "test_runner::test_a_notebook_cannot_change_the_next_one",
    "test_runner::test_the_workers_warm_up_imports_the_modules_of_the_brief_export",
    "test_runner::test_served_client_is_ready_when_the_kernel_is_idle_and_leaves_nothing_to_read",
    "test_runner::test_access_log_records_each_file_read",
    "test_runner::test_country_names_are_accepted_and_become_codes",
    "test_runner::test_ctrl_c_stops_quickly_with_one_line",
    "test_runner::test_default_and_named_sets_are_published_side_by_side",
    "test_runner::test_example_params_files_fit_the_notebooks",
    "test_runner::test_failure_keeps_last_good_set_and_escapes_the_index",
    "test_runner::test_forked_and_spawned_kernels_give_the_same_bytes",
    "test_runner::test_full_disk_is_one_line_and_leaves_space",
    "test_runner::test_index_links_every_report_with_status",
    "test_runner::test_set_index_gives_the_parameters_in_words_and_as_set",
    "test_runner::test_jobs_follow_the_memory_measured_by_earlier_runs",
    "test_runner::test_killing_egov_run_leaves_nothing_behind",
    "test_runner::test_leftovers_removed_but_user_folders_kept",
    "test_runner::test_manifest_records_data_environment_and_outputs",
    "test_runner::test_out_is_a_file_or_read_only",
    "test_runner::test_out_refuses_what_the_runner_did_not_make",
    "test_runner::test_parameters_injected_from_yaml",
    "test_runner::test_profile_prints_where_the_time_went",
    "test_runner::test_reports_hide_code_embed_figures_and_work_offline",
    "test_runner::test_same_outputs_as_plain_papermill",
    "test_runner::test_second_run_into_the_same_folder_is_refused",
    "test_runner::test_show_code_includes_code",
    "test_runner::test_subset_run_updates_only_its_notebooks",
    "test_runner::test_timeout_stops_a_runaway_notebook",
    "test_runner::test_unknown_country_code_in_parameters",
    "test_runner::test_unknown_country_name_lists_close_matches",
    "test_runner::test_unknown_year_lists_valid_editions",
    "test_runner::test_user_file_in_a_published_set_survives",
    "test_standing::test_decomposition_table_raw_and_net_hand_checked",
    "test_standing::test_edition_change_on_tiny_panel",
    "test_standing::test_gap_cost_hand_checked",
    "test_standing::test_identity_readiness_gcc_2024_from_the_gtmi_2022_round",
    "test_standing::test_targets_margins_and_sensitivity_hand_checked",
    "test_twinning::test_language_and_regional_bodies_in_similarity",
    "test_twinning::test_missing_covariate_reader_is_reported_not_faked",
    "test_twinning::test_notebook_reports_unassessed_mentee_without_crashing",
    "test_twinning::test_pairing_never_proposes_a_mentor_without_a_lead",
    "test_twinning::test_pairing_score_by_hand_and_ties_broken_by_code",
    "test_uncertainty::test_monte_carlo_builds_equal_the_scalar_formulas",
    "test_uncertainty::test_nominal_choices_reproduce_build",
    "test_uncertainty::test_one_panel_for_every_vintage_rule_equals_one_panel_per_rule",
    "test_uncertainty::test_prepare_many_bootstrap_replicates_at_once",
    "test_uncertainty::test_ranks_are_computed_once_and_match_the_scores",
    "test_uncertainty::test_seed_design_and_intervals",
    "test_uncertainty::test_total_order_at_least_first_order_and_a_lone_factor_explains_everything",
    "test_variants::test_2008_2010_weights_spec",
    "test_variants::test_coverage_gate_and_concepts_on_real_data",
    "test_variants::test_engine_reproduces_the_published_egdi_and_ranks",
    "test_variants::test_engine_reproduces_the_published_hci_exactly",
}


def pytest_ignore_collect(collection_path, config):
    """Do not import integration-only modules when integration tests are deselected.

    A module parametrised over real data reads the mirror when it is imported; without the
    mirror (`make test-unit`) that import would fail although none of its tests would run.
    """
    if collection_path.stem in INTEGRATION_MODULES and _unit_only(config):
        return True
    return None


def _unit_only(config) -> bool:
    return (config.option.markexpr or "").replace(" ", "") == "notintegration"


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.path.stem if item.path is not None else ""
        name = "::".join([module, *item.nodeid.split("::")[1:]]).split("[")[0]
        if (
            INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ()))
            or INTEGRATION_MARKS & {m.name for m in item.iter_markers()}
            or module in INTEGRATION_MODULES
            or name in INTEGRATION_TESTS
        ):
            item.add_marker(pytest.mark.integration)
