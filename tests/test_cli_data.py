"""`egov data status / verify / statement` and the catalogue."""

from __future__ import annotations

from egovlib import config
from egovlib.cli import main
from egovlib.sources import availability_statement, data_root, load_catalogue, sha256_of


def test_catalogue_lists_every_file_in_the_mirror():
    root = data_root()
    on_disk = {
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.suffix != ".md"
    }
    catalogued = {s.path for s in load_catalogue().values()}
    assert on_disk == catalogued


def test_catalogue_checksums_match_the_mirror():
    root = data_root()
    for s in load_catalogue().values():
        assert sha256_of(root / s.path) == s.sha256, s.id


def test_data_readme_is_the_generated_statement():
    committed = (config.REPO_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert committed == availability_statement(), "run `egov data statement > data/README.md`"


def test_verify_passes_on_the_mirror(capsys, monkeypatch):
    from egovlib.readers import cache

    def no_cache(*args, **kwargs):
        raise AssertionError("`egov data verify` must parse the raw files, never the cache")

    monkeypatch.setattr(cache, "read", no_cache)
    monkeypatch.setattr(cache, "write", no_cache)
    assert main(["data", "verify"]) == 0
    out = capsys.readouterr().out
    assert "MISMATCH" not in out and "MISSING" not in out and "NO READER" not in out
    assert out.rstrip().endswith("OK")


def test_verify_fails_on_a_changed_file(temp_data, capsys):
    p = temp_data.path("un_egdi_2022")
    p.write_text(p.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert main(["data", "verify"]) == 1
    captured = capsys.readouterr()
    assert "un_egdi_2022" in captured.out and "MISMATCH" in captured.out


def test_verify_refuses_bad_content_and_unreadable_files(temp_data, capsys, monkeypatch):
    """Checksums updated: only the content checks can catch these; no traceback, exit 1."""
    from test_bad_input import _make_unreadable

    from egovlib import sources

    temp_data.edit("owid_literacy", "Zimbabwe,ZWE,2022,89.85", "Zimbabwe,ZWE,2022,957")
    _make_unreadable(temp_data.path("gtmi_2022_bsg"), monkeypatch)  # read by no reader
    sources._sha256.cache_clear()
    assert main(["data", "verify"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    line = next(x for x in out.splitlines() if x.startswith("gtmi_2022_bsg "))
    assert "UNREADABLE" in line
    assert "ERROR in reader `owid_literacy`" in err and "`literacy_rate` = 957.0" in err
    assert out.rstrip().endswith("problem(s) found")


def test_missing_catalogue_is_one_error_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EGOV_CATALOGUE", str(tmp_path / "gone.yml"))
    assert main(["data", "verify"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"ERROR {tmp_path / 'gone.yml'}: cannot read")
    assert "Fix: set $EGOV_CATALOGUE" in err
