"""Bad input on a copied file in a temp data dir: errors name file, column or row, and fix."""

from __future__ import annotations

import pytest

from egovlib import load_table
from egovlib.errors import DataError, DataRootNotFound, EgovError
from egovlib.sources import load_catalogue

EGDI_2022 = "un_egdi_2022"


def _assert_nothing_cached(temp_data, name="egdi"):
    assert not list(temp_data.cache.glob(f"{name}-*.parquet")), "a bad file must not be cached"


def _load_error(temp_data) -> str:
    with pytest.raises(DataError) as info:
        load_table("egdi")
    _assert_nothing_cached(temp_data)
    msg = str(info.value)
    assert "EGOV_DATA_2022.csv" in msg, "the error must name the file at fault"
    assert "Fix:" in msg
    return msg


def test_missing_column(temp_data):
    path = temp_data.path(EGDI_2022)
    lines = path.read_text(encoding="utf-8").splitlines()
    cut = [",".join(line.split(",")[:-1]) for line in lines]  # drop the TII column
    path.write_text("\n".join(cut) + "\n", encoding="utf-8")
    temp_data.set_sha(EGDI_2022)
    msg = _load_error(temp_data)
    assert "EGOV_DATA_2022.csv" in msg
    assert "Telecommunication Infrastructure Index" in msg


def test_renamed_column(temp_data):
    temp_data.edit(EGDI_2022, "Online Service Index", "Online Services Idx")
    msg = _load_error(temp_data)
    assert "Online Service Index" in msg and "EGOV_DATA_2022.csv" in msg


def test_non_numeric_score(temp_data):
    temp_data.edit(EGDI_2022, '"Ireland ",30,0.85670', '"Ireland ",30,n/a')
    msg = _load_error(temp_data)
    assert "`egdi`" in msg and "line 3" in msg and "'n/a'" in msg


def test_conflicting_duplicate_country_year(temp_data):
    path = temp_data.path(EGDI_2022)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + '2022,"Ireland ",31,0.85000,0.68180,0.77960,0.96180,0.82870\n', encoding="utf-8"
    )
    temp_data.set_sha(EGDI_2022)
    msg = _load_error(temp_data)
    assert "conflicting duplicate" in msg and "IRL" in msg


def test_exact_duplicates_are_dropped_not_errors(temp_data):
    path = temp_data.path(EGDI_2022)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines + [lines[5]]) + "\n", encoding="utf-8")
    temp_data.set_sha(EGDI_2022)
    df = load_table("egdi")
    assert (df["year"] == 2022).sum() == 193


def test_unknown_country_name(temp_data):
    temp_data.edit(EGDI_2022, '"Ireland "', '"Irelandia "')
    msg = _load_error(temp_data)
    assert "'Irelandia'" in msg and "country_overrides.yml" in msg and "Country Name" in msg


def test_score_outside_unit_interval(temp_data):
    temp_data.edit(
        EGDI_2022,
        '"Ireland ",30,0.85670,0.68180,0.77960,0.96180',
        '"Ireland ",30,0.85670,0.68180,0.77960,1.96180',
    )
    msg = _load_error(temp_data)
    assert "outside [0, 1]" in msg and "`hci`" in msg and "IRL" in msg and "line 3" in msg


def test_truncated_file(temp_data):
    path = temp_data.path(EGDI_2022)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])  # cut mid-row
    temp_data.set_sha(EGDI_2022)
    msg = _load_error(temp_data)
    assert "EGOV_DATA_2022.csv" in msg


def test_checksum_mismatch(temp_data):
    path = temp_data.path(EGDI_2022)
    path.write_text(
        path.read_text(encoding="utf-8").replace("0.85670", "0.85671"), encoding="utf-8"
    )
    with pytest.raises(DataError) as info:
        load_table("egdi")
    msg = str(info.value)
    assert "checksum mismatch" in msg and "EGOV_DATA_2022.csv" in msg and "Fix:" in msg
    _assert_nothing_cached(temp_data)


def test_missing_file(temp_data):
    temp_data.path(EGDI_2022).unlink()
    with pytest.raises(DataError) as info:
        load_table("egdi")
    assert "missing" in str(info.value) and "publicadministration.un.org" in str(info.value)


def test_edition_not_in_catalogue(temp_data):
    temp_data.edit(EGDI_2022, "\n2022,", "\n2021,")
    msg = _load_error(temp_data)
    assert "2021" in msg and "editions" in msg


def test_no_data_root_names_three_places(tmp_path, monkeypatch):
    from egovlib import config, sources

    monkeypatch.delenv("EGOV_DATA_DIR", raising=False)
    monkeypatch.setattr(config, "REPO_DATA_DIR", tmp_path / "repo_raw")
    monkeypatch.setattr(config, "SHARED_DATA_DIR", tmp_path / "shared_raw")
    with pytest.raises(DataRootNotFound) as info:
        sources.data_root()
    msg = str(info.value)
    assert "EGOV_DATA_DIR" in msg and "repo_raw" in msg and "shared_raw" in msg
    assert "data/README.md" in msg


def test_data_dir_env_must_exist(tmp_path, monkeypatch):
    from egovlib import sources

    monkeypatch.setenv("EGOV_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(DataRootNotFound, match="does not exist"):
        sources.data_root()


def test_data_root_order(tmp_path, monkeypatch):
    from egovlib import config, sources

    repo_raw = tmp_path / "repo_raw"
    (repo_raw / "un_egov_survey").mkdir(parents=True)
    monkeypatch.setattr(config, "REPO_DATA_DIR", repo_raw)
    monkeypatch.delenv("EGOV_DATA_DIR", raising=False)
    assert sources.data_root() == repo_raw.resolve()
    monkeypatch.setenv("EGOV_DATA_DIR", str(tmp_path))
    assert sources.data_root() == tmp_path.resolve()


def test_schema_violation_names_the_file_of_the_failing_row(tmp_path):
    import pandas as pd

    from egovlib.readers import validate
    from egovlib.schemas import LONG
    from egovlib.sources import load_catalogue

    cat = load_catalogue()
    a, b = cat["owid_literacy"], cat["coursera_gsi"]
    files = [(a, tmp_path / "a.csv"), (b, tmp_path / "b.csv")]
    df = pd.DataFrame(
        {
            "iso3": ["BHR", "bh"],
            "year": [2020, 2020],
            "variable": ["x", "x"],
            "value": [1.0, 2.0],
            "source": [a.id, b.id],
        }
    )
    with pytest.raises(DataError) as info:
        validate(df, LONG, files)
    msg = str(info.value)
    assert msg.startswith(f"{tmp_path / 'b.csv'}:") and "a.csv" not in msg
    assert "`iso3`" in msg and "'bh'" in msg and f"file={b.id}" in msg


# ------------------------------------------------------------------ implausible values (issue 10)
# Each edit below keeps the file well-formed and records its new checksum in the catalogue, so
# only the content checks (plausible ranges, truncation, EGDI identity, ranks) can refuse it.


def _error(temp_data, reader: str, file_name: str) -> str:
    with pytest.raises(DataError) as info:
        load_table(reader)
    _assert_nothing_cached(temp_data, reader)
    msg = str(info.value)
    assert file_name in msg and "Fix:" in msg and "\n" not in msg, msg
    return msg


def test_literacy_above_100_percent(temp_data):
    temp_data.edit("owid_literacy", "Zimbabwe,ZWE,2022,89.85", "Zimbabwe,ZWE,2022,957")
    msg = _error(temp_data, "owid_literacy", "cross-country-literacy-rates.csv")
    assert "`literacy_rate` = 957.0 for ZWE 2022" in msg and "plausible range 0 to 100" in msg


def test_negative_internet_use(temp_data):
    temp_data.edit(
        "wdi_internet_2026",
        "ZWE,2018,Zimbabwe,25,IT.NET.USER.ZS",
        "ZWE,2018,Zimbabwe,-15.9,IT.NET.USER.ZS",
    )
    msg = _error(temp_data, "wdi", "tarea47_internet_penetration.csv")
    assert "`internet_users` = -15.9 for ZWE 2018" in msg and "0 to 100" in msg
    # the message names the culprit file only, not the reader's ten other files
    assert "tarea3_population.csv" not in msg


def test_every_reader_variable_has_a_plausible_range():
    from egovlib.readers import variables

    for v in variables().values():
        rng = v.plausible_range
        assert rng.lo < rng.hi, v.name
    assert str(variables()["literacy_rate"].plausible_range) == "0 to 100"
    assert str(variables()["population"].plausible_range).startswith("above 0")


def test_range_check_bounds(tmp_path):
    """Closed bounds, an open lower bound (positive amounts), and a variable without a range."""
    import pandas as pd

    from egovlib.readers import validate
    from egovlib.schemas import PlausibleRange, long_schema

    schema = long_schema({"share": PlausibleRange(0, 100), "people": PlausibleRange(0, 9, True)})
    src = load_catalogue()["owid_literacy"]
    cases = [("share", 0.0), ("share", 100.0), ("people", 9.0), ("people", 0.5)]
    ok = pd.DataFrame(
        {
            "iso3": "BHR",
            "year": range(2000, 2000 + len(cases)),
            "variable": [v for v, _ in cases],
            "value": [x for _, x in cases],
            "source": src.id,
        }
    )
    assert len(validate(ok, schema, [(src, tmp_path / "a.csv")])) == 4
    bad = ok.assign(value=[-0.1, 100.5, 0.0, 9.5], variable=["share", "share", "people", "x"])
    with pytest.raises(DataError) as info:
        validate(bad, schema, [(src, tmp_path / "a.csv")])
    msg = str(info.value)
    assert msg.startswith(f"{tmp_path / 'a.csv'}: 4 schema violation(s)")
    assert "`share` = -0.1 for BHR 2000" in msg and "`share` = 100.5 for BHR 2001" in msg
    assert "`people` = 0.0 for BHR 2002" in msg and "range above 0 to 9" in msg
    assert "`x` = 9.5 for BHR 2003" in msg and "(no range declared)" in msg


def test_variable_without_range_is_refused_at_registration():
    from egovlib.errors import EgovError
    from egovlib.readers import Variable, register
    from egovlib.schemas import LONG

    with pytest.raises(EgovError, match="no plausible range.*valid_range"):
        register("x_test", LONG, "test", variables=(Variable("x", "X", "furlongs", "ict"),))(
            lambda files: None
        )


def _cut_last_value(temp_data, file_id: str, cut_to: str) -> None:
    """Drop the end of the file after ``cut_to`` (as an interrupted copy would)."""
    path = temp_data.path(file_id)
    text = path.read_text(encoding="utf-8").rstrip("\n")
    last = text.rsplit("\n", 1)[-1]
    assert cut_to in last, last
    path.write_text(text[: len(text) - len(last)] + last[: last.rindex(cut_to) + len(cut_to)])
    temp_data.set_sha(file_id)


def test_number_cut_at_end_of_file_egdi(temp_data):
    # last line `2022,"Slovakia ",47,0.80080,0.46590,0.72600,0.84360,0.83280` cut to `...,0.`
    _cut_last_value(temp_data, EGDI_2022, "0.84360,0.")
    msg = _load_error(temp_data)
    assert "cut after the decimal point" in msg and "`tii`" in msg and "line 194: '0.'" in msg


def test_number_cut_at_end_of_file_covariate(temp_data):
    # `Zimbabwe,ZWE,2022,89.85` cut to `89.` would read as a plausible 89.0 %
    _cut_last_value(temp_data, "owid_literacy", "2022,89.")
    msg = _error(temp_data, "owid_literacy", "cross-country-literacy-rates.csv")
    assert "cut after the decimal point" in msg and "'89.'" in msg


def test_incomplete_last_record(temp_data):
    _cut_last_value(temp_data, "owid_literacy", "Zimbabwe,ZWE,20")
    msg = _error(temp_data, "owid_literacy", "cross-country-literacy-rates.csv")
    assert "incomplete record" in msg and "3 fields, the line before it 4" in msg


def test_egdi_not_the_mean_of_its_components(temp_data):
    # Ireland 2022: OSI 0.77960, HCI 0.96180, TII 0.82870 (mean 0.85670); EGDI made 0.86670
    temp_data.edit(EGDI_2022, '"Ireland ",30,0.85670', '"Ireland ",30,0.86670')
    msg = _load_error(temp_data)
    assert "differ from the mean of OSI, HCI and TII" in msg
    assert "Ireland (IRL) 2022, line 3: EGDI 0.86670, mean 0.85670" in msg
    assert "egdi_departures.yml" in msg


def test_egdi_departure_beyond_the_published_one_in_2008(temp_data):
    # 2008 may depart from the mean (published), but not by more than the published maximum.
    # Ghana 2008: EGDI 0.2997, mean of components 0.3005; made 0.3297. Every row is there twice.
    temp_data.edit(
        "un_egdi_2003_2020", "2008,Ghana ,138.0,0.2997", "2008,Ghana ,138.0,0.3297", count=2
    )
    with pytest.raises(DataError, match=r"Ghana \(GHA\) 2008.*EGDI 0.32970"):
        load_table("egdi")


def test_duplicated_rank(temp_data):
    temp_data.edit(EGDI_2022, '"Ireland ",30,', '"Ireland ",29,')  # Latvia is 29th (0.85990)
    msg = _load_error(temp_data)
    assert "ranks of edition 2022 are inconsistent" in msg
    assert "rank 29 is given to LVA (line 15, EGDI 0.8599), IRL (line 3, EGDI 0.8567)" in msg


def test_ranks_against_egdi_order(temp_data):
    # Ireland (0.85670) and Saudi Arabia (0.85390) swap ranks 30 and 31
    temp_data.edit(EGDI_2022, '"Ireland ",30,', '"Ireland ",31,')
    temp_data.edit(EGDI_2022, '"Saudi Arabia ",31,', '"Saudi Arabia ",30,')
    msg = _load_error(temp_data)
    assert "IRL (line 3) is ranked 31 with EGDI 0.8567, below SAU ranked 30" in msg


def test_genuine_ties_share_a_rank(egdi):
    e22 = egdi[egdi["year"] == 2022].set_index("iso3")
    assert e22.loc["ISL", "rank"] == e22.loc["SWE", "rank"] == 5  # EGDI 0.9410 both


# ------------------------------------------------------------------ unreadable files, catalogue


def _make_unreadable(path, monkeypatch) -> None:
    """chmod 000; as root (who reads anything) the OS refusal is simulated at ``open``."""
    import builtins
    import io
    import os

    path.chmod(0)
    if os.geteuid() == 0:
        real_open = builtins.open

        def refusing_open(file, *args, **kwargs):
            if str(file) == str(path):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", refusing_open)
        monkeypatch.setattr(io, "open", refusing_open)


def test_unreadable_file_is_a_data_error(temp_data, monkeypatch):
    from egovlib import sources

    path = temp_data.path(EGDI_2022)
    _make_unreadable(path, monkeypatch)
    sources._sha256.cache_clear()
    msg = _load_error(temp_data)
    assert "cannot read the file (Permission denied)" in msg and f"chmod a+r {path}" in msg


def test_unreadable_file_reported_up_front_even_if_no_reader_uses_it(temp_data, monkeypatch):
    from egovlib import sources

    path = temp_data.path("gtmi_2022_bsg")  # catalogued, read by no reader
    _make_unreadable(path, monkeypatch)
    sources._sha256.cache_clear()
    with pytest.raises(DataError) as info:
        sources.require_files()
    msg = str(info.value)
    assert msg.startswith(f"{path}: cannot read the file") and "chmod a+r" in msg


def test_missing_catalogue(tmp_path, monkeypatch):
    from egovlib.sources import load_catalogue

    monkeypatch.setenv("EGOV_CATALOGUE", str(tmp_path / "sources.yml"))
    with pytest.raises(DataError) as info:
        load_catalogue()
    msg = str(info.value)
    assert "sources.yml: cannot read the data catalogue (No such file or directory)" in msg
    assert "set $EGOV_CATALOGUE to the catalogue file, or unset it" in msg

    from egovlib import config

    monkeypatch.delenv("EGOV_CATALOGUE")
    monkeypatch.setattr(config, "CATALOGUE_PATH", tmp_path / "data" / "sources.yml")
    with pytest.raises(DataError, match=r"git checkout -- data/sources.yml"):
        load_catalogue()


def test_relative_data_dir_is_resolved_against_the_callers_folder(temp_data, monkeypatch):
    import os

    from egovlib import sources

    monkeypatch.chdir(temp_data.root.parent)
    monkeypatch.setenv("EGOV_DATA_DIR", "raw")
    assert sources.data_root() == temp_data.root.resolve()
    # rewritten absolute, so kernels started in the notebooks' folder find the same data
    assert os.environ["EGOV_DATA_DIR"] == str(temp_data.root)
    monkeypatch.setenv("EGOV_DATA_DIR", "nope")
    with pytest.raises(DataRootNotFound) as info:
        sources.data_root()
    assert f"$EGOV_DATA_DIR='nope' (resolved to {temp_data.root.parent / 'nope'})" in str(
        info.value
    )


# ------------------------------------------------------------------ the parquet cache


def _cache_file(temp_data, name="egdi"):
    (path,) = temp_data.cache.glob(f"{name}-*.parquet")
    return path


def test_derived_table_is_cached_until_its_reader_files_change(temp_data):
    """`load_derived`: built once, then read from memory or the parquet cache; a changed file
    of its reader rebuilds it; every call records the reader's files as read."""
    import pandas as pd

    from egovlib import readers, sources

    builds = []

    def build():
        builds.append(1)
        return pd.DataFrame({"build": [len(builds)]})

    first = readers.load_derived("probe", "tortoise_ai", build)
    assert readers.load_derived("probe", "tortoise_ai", build).equals(first)
    readers.clear_memory_cache()
    sources.forget_files_read()
    assert readers.load_derived("probe", "tortoise_ai", build).equals(first)  # from parquet
    assert len(builds) == 1 and "tortoise_ai" in sources.files_read()
    assert _cache_file(temp_data, "probe").is_file()
    temp_data.edit("tortoise_ai", "China,16.51,", "China,16.61,")
    assert readers.load_derived("probe", "tortoise_ai", build)["build"].tolist() == [2]
    with pytest.raises(EgovError, match="is a reader's name"):
        readers.load_derived("egdi", "tortoise_ai", build)  # would replace egdi's cache file


@pytest.mark.parametrize("damage", ["truncate", "alter"])
def test_damaged_cache_file_is_rebuilt_from_the_raw_file(temp_data, caplog, damage):
    from egovlib import readers

    good = load_table("egdi")
    path = _cache_file(temp_data)
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    else:  # same length, a few bytes changed mid-file (a value, or the parquet structure)
        mid = len(raw) // 2
        path.write_bytes(raw[:mid] + bytes(b ^ 0xFF for b in raw[mid : mid + 8]) + raw[mid + 8 :])
    readers.clear_memory_cache()
    again = load_table("egdi")
    assert again.equals(good)
    assert f"cache file {path} is damaged" in caplog.text and "rebuilt" in caplog.text
    assert _cache_file(temp_data).read_bytes() == raw  # rewritten, identical to the first


def test_cache_folder_that_is_a_file_falls_back_to_no_cache(temp_data, monkeypatch, caplog):
    from egovlib.readers import cache

    blocker = temp_data.root.parent / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("EGOV_CACHE_DIR", str(blocker))
    monkeypatch.setattr(cache, "_warned", set())
    assert (load_table("egdi")["year"] == 2024).sum() == 193
    assert f"cache folder {blocker} cannot be used" in caplog.text
    assert "without a cache (same results, slower)" in caplog.text
    assert "Fix: set $EGOV_CACHE_DIR to a writable folder" in caplog.text


def test_read_only_cache_folder_falls_back_to_no_cache(temp_data, monkeypatch, caplog):
    import tempfile

    from egovlib.readers import cache

    def read_only(*args, **kwargs):  # what mkstemp meets in a read-only folder (or as root: chmod)
        raise PermissionError(13, "Permission denied", kwargs.get("dir"))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(cache, "_warned", set())
    assert len(load_table("egdi")) == 193 * 12
    assert "cannot be used (PermissionError" in caplog.text
    assert not list(temp_data.cache.glob("*")), "no partial file left behind"


def test_published_anomaly_with_another_value_is_refused(temp_data):
    # Micronesia's 2003 HCI of 1.422 is kept as published; 1.5 in its place is not.
    temp_data.edit(
        "un_egdi_2003_2020",
        "2003,Micronesia (Federated States of) ,42.0,0.52648,0.0172,0.1179,1.422",
        "2003,Micronesia (Federated States of) ,42.0,0.52648,0.0172,0.1179,1.5",
        count=2,
    )
    with pytest.raises(DataError) as info:
        load_table("egdi")
    msg = str(info.value)
    assert "outside [0, 1] in column `hci`" in msg and "(FSM), edition 2003" in msg
    assert "1.5 (published: 1.422)" in msg and "egdi_anomalies.yml" in msg
