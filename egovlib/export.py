"""`egov data export`: the cleaned data as CSV and parquet, with flags, sources and licences."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from . import config
from .errors import EgovError

#: Default folder of `egov data export` (beside the published reports, never inside a year).
DEFAULT_EXPORT_DIR = config.OUTPUTS_DIR / "data"
FORMATS = ("csv", "parquet")
#: Column types of each exported table, so a CSV reads back exactly as written (`read_export`).
DTYPES: dict[str, dict[str, str]] = {
    "egdi_panel": {
        "iso3": "string",
        "country": "string",
        "year": "int64",
        "rank": "Int64",
        "egdi": "float64",
        "osi": "float64",
        "hci": "float64",
        "tii": "float64",
        "epi": "float64",
        "assessed": "bool",
        "hci_above_one": "bool",
        "source": "string",
        "region": "string",
        "subregion": "string",
        "income_group": "string",
        "level_group": "string",
    },
    "covariates": {
        "iso3": "string",
        "year": "int64",
        "variable": "string",
        "value": "float64",
        "source": "string",
    },
    "variables": {
        "name": "string",
        "label": "string",
        "unit": "string",
        "theme": "string",
        "inputs_of": "string",
        "comparable_over_time": "bool",
        "reader": "string",
        "notes": "string",
    },
    "sources": {
        "id": "string",
        "path": "string",
        "publisher": "string",
        "title": "string",
        "url": "string",
        "licence": "string",
        "years": "string",
        "accessed": "Int64",
        "reader": "string",
        "sha256": "string",
    },
}


def export_tables() -> dict[str, pd.DataFrame]:
    """The tables `egov data export` writes, typed as in `DTYPES`.

    - ``egdi_panel``: one row per UN member state and survey edition (2003-2024): ISO3, name,
      rank, EGDI, OSI, HCI, TII, EPI as published, the flags ``assessed`` (False: not assessed
      in that edition, scores missing, never 0) and ``hci_above_one`` (published HCI > 1, kept
      as published), the catalogue id of the source file, UN region, income group, level group.
    - ``covariates``: every covariate in long form (ISO3, reference year, variable, value,
      source file id; derived variables name their input variables joined by ``+``).
    - ``variables``: label, unit, theme and caveats of each covariate.
    - ``sources``: the catalogue: publisher, title, official page, licence, checksum per file.
    """
    from .panel import covariate_catalogue, load_covariates, load_egdi_panel
    from .sources import load_catalogue

    panel = load_egdi_panel().sort_values(["year", "iso3"], ignore_index=True)
    covariates = load_covariates().sort_values(["variable", "iso3", "year"], ignore_index=True)
    variables = pd.DataFrame(
        [
            {
                "name": v.name,
                "label": v.label,
                "unit": v.unit,
                "theme": v.theme,
                "inputs_of": " ".join(v.inputs_of),
                "comparable_over_time": v.comparable_over_time,
                "reader": v.reader,
                "notes": v.notes,
            }
            for v in covariate_catalogue().values()
        ]
    )
    sources = pd.DataFrame(
        [
            {
                "id": s.id,
                "path": s.path,
                "publisher": s.publisher,
                "title": s.title,
                "url": s.url,
                "licence": s.licence,
                "years": s.year_span,
                "accessed": s.accessed,
                "reader": s.reader or "",
                "sha256": s.sha256,
            }
            for s in load_catalogue().values()
        ]
    )
    tables = {
        "egdi_panel": panel,
        "covariates": covariates,
        "variables": variables,
        "sources": sources,
    }
    return {name: _typed(name, df) for name, df in tables.items()}


def _typed(name: str, df: pd.DataFrame) -> pd.DataFrame:
    cols = DTYPES[name]
    missing = [c for c in cols if c not in df.columns]
    extra = [c for c in df.columns if c not in cols]
    if missing or extra:  # a library change must be mirrored here, not exported silently
        raise EgovError(
            f"export table {name!r}: columns {missing} missing, {extra} not declared. "
            "Fix: update egovlib.export.DTYPES (and the README it writes)"
        )
    df = df[list(cols)].astype(cols)
    for col, dtype in cols.items():  # CSV cannot tell "" from missing: write missing for both
        if dtype == "string":
            df[col] = df[col].replace("", pd.NA)
    return df


def export_data(out: Path | str | None = None, formats=FORMATS) -> list[Path]:
    """Write the tables of `export_tables` (and a README) to ``out`` as CSV and/or parquet.

    Only the files named here are written (each replaced atomically); nothing else in ``out``
    is touched.

    Parameters
    ----------
    out : path, optional
        Folder (created if missing); default ``outputs/data``.
    formats : iterable of {"csv", "parquet"}

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out or DEFAULT_EXPORT_DIR).expanduser().resolve()
    formats = tuple(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise EgovError(f"unknown export format(s) {bad}; use {' and/or '.join(FORMATS)}")
    if out.exists() and not out.is_dir():
        raise EgovError(f"--out {out} is a file. Fix: give a folder (it is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EgovError(f"cannot create {out} ({exc.strerror}). Fix: choose another --out") from exc
    tables = export_tables()
    written = []
    for name, df in tables.items():
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            tmp = out / f".{name}.{fmt}.tmp"
            try:
                if fmt == "csv":
                    df.to_csv(tmp, index=False, lineterminator="\n")
                else:
                    df.to_parquet(tmp, index=False)
                os.replace(tmp, path)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise EgovError(
                    f"cannot write {path} ({exc.strerror}). Fix: check the folder is writable "
                    "and the disk has room"
                ) from exc
            written.append(path)
    readme = out / "README.md"
    readme.write_text(export_readme(tables), encoding="utf-8")
    return [*written, readme]


def read_export(path: Path | str) -> pd.DataFrame:
    """Read an exported table back with its types (CSV or parquet, by extension)."""
    path = Path(path)
    name = path.stem
    if name not in DTYPES:
        raise EgovError(f"{path.name} is not an export table ({', '.join(DTYPES)})")
    if path.suffix == ".parquet":
        return pd.read_parquet(path).astype(DTYPES[name])
    # Only empty fields are missing: "NA" is Namibia's ISO2 and could appear in text.
    df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
    for col, dtype in DTYPES[name].items():
        if dtype == "bool":
            df[col] = df[col].map({"True": True, "False": False})
        elif dtype != "string":
            df[col] = pd.to_numeric(df[col])
    return df.astype(DTYPES[name])


def export_readme(tables: dict[str, pd.DataFrame]) -> str:
    """The README written next to the exported files."""
    from . import __version__

    p = tables["egdi_panel"]
    years = sorted(p["year"].unique())
    lines = [
        "# egovlib data export",
        "",
        f"Written by `egov data export` (egovlib {__version__}). Each table is in CSV (UTF-8, "
        "empty field = missing) and parquet; `egovlib.export.read_export(path)` reads either "
        "back with its types.",
        "",
        f"- `egdi_panel`: {len(p)} rows, {p['iso3'].nunique()} countries (ISO3) x "
        f"{len(years)} UN E-Government Survey editions ({', '.join(map(str, years))}). "
        "Scores and ranks as published by UN DESA. Flags: `assessed` is False where a country "
        "was not assessed in an edition (its scores are missing, never 0); `hci_above_one` "
        "marks published HCI values above 1 (2003), kept as published. `source` is the id of "
        "the file in `sources`. `level_group` applies the UN thresholds (0.75 / 0.50 / 0.25) "
        "to the published EGDI. Scores are relative within an edition: compare editions with "
        "care, and mind the method changes (HCI 2008, OSI and TII 2014).",
        f"- `covariates`: {len(tables['covariates'])} values of "
        f"{tables['covariates']['variable'].nunique()} variables in long form: `year` is the "
        "reference year of the value (not a survey edition); `source` is the file id, or the "
        "input variables joined by `+` for a derived variable.",
        "- `variables`: label, unit, theme, the UN indices a variable feeds (`inputs_of`), "
        "whether editions are comparable, caveats.",
        "- `sources`: every catalogued file with publisher, official page, licence and sha256.",
        "",
        "Licences: the terms of each source (column `licence` of `sources`) apply to any reuse.",
    ]
    return "\n".join(lines) + "\n"
