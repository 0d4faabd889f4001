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


def test_verify_passes_on_the_mirror(capsys):
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
