"""Country metadata reader: UN M49 table, UN E-Government country list, World Bank income groups."""

from __future__ import annotations

import pandera.pandas as pa

from ..errors import DataError
from .parsing import read_excel, read_text_csv, rename_columns
from .registry import register

#: The six official UN languages (ISO 639-1 code -> the word M49 uses in its column names).
UN_LANGUAGES = {
    "ar": "Arabic",
    "zh": "Chinese",
    "en": "English",
    "fr": "French",
    "ru": "Russian",
    "es": "Spanish",
}
#: English names come from `Country or Area` (short) and `English formal`; the other five
#: languages are read into ``name_<lang>`` and ``formal_name_<lang>``.
TRANSLATED = tuple(lang for lang in UN_LANGUAGES if lang != "en")
#: M49 short names carry a trailing article for sorting ("United Arab Emirates (the)",
#: "Algérie (l')", "Sudán (el)"): not for display.
_SORT_ARTICLE = r"\s*\((?:the|l'|le|la|les|el|los|las)\)$"

COUNTRIES = pa.DataFrameSchema(
    {
        "iso3": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$"), unique=True),
        "name": pa.Column(str),
        "m49_formal_name": pa.Column(str, nullable=True),
        "un_common_name": pa.Column(str, nullable=True),
        "un_official_name": pa.Column(str, nullable=True),
        "wb_name": pa.Column(str, nullable=True),
        **{
            f"{form}name_{lang}": pa.Column(str, nullable=True)
            for lang in TRANSLATED
            for form in ("", "formal_")
        },
        "region": pa.Column(str, nullable=True),
        "subregion": pa.Column(str, nullable=True),
        "intermediate_region": pa.Column(str, nullable=True),
        "income_group": pa.Column(
            str,
            pa.Check.isin(
                ["High income", "Upper middle income", "Lower middle income", "Low income"]
            ),
            nullable=True,
        ),
        "income_source": pa.Column(str, nullable=True),
        "un_member": pa.Column(bool),
        "ldc": pa.Column(bool),
        "lldc": pa.Column(bool),
        "sids": pa.Column(bool),
    },
    checks=pa.Check(lambda d: d["un_member"].sum() == 193, error="expected 193 UN member states"),
    strict=True,
    coerce=True,
)

M49_COLUMNS = {
    "ISO-alpha3 Code": "iso3",
    "Country or Area": "name",
    "English formal": "m49_formal_name",
    "Region Name": "region",
    "Sub-region Name": "subregion",
    "Intermediate Region Name": "intermediate_region",
    "UN Member States": "un_member",
    "Least Developed Countries (LDC)": "ldc",
    "Land Locked Developing Countries (LLDC)": "lldc",
    "Small Island Developing States (SIDS)": "sids",
    "World Bank Income Level": "m49_income",
    **{f"{UN_LANGUAGES[lang]} short": f"name_{lang}" for lang in TRANSLATED},
    **{f"{UN_LANGUAGES[lang]} formal": f"formal_name_{lang}" for lang in TRANSLATED},
}
UNU_COLUMNS = {
    "COUNTRY CODE": "iso3",
    "COMMON NAME": "un_common_name",
    "OFFICIAL NAME": "un_official_name",
}
WB_COLUMNS = {"Economy": "wb_name", "Code": "iso3", "Income group": "income_group"}


@register("countries", COUNTRIES, "ISO3, names, UN region/sub-region, World Bank income group")
def read_countries(files):
    """UN M49 table + UN E-Government country list + World Bank classification -> one table."""
    paths = {src.id: path for src, path in files}
    for needed in ("un_m49", "unu_countries", "wb_class"):
        if needed not in paths:
            raise DataError(
                None,
                f"catalogue entry `{needed}` is missing",
                f"restore `{needed}` in data/sources.yml",
            )

    m49 = rename_columns(read_text_csv(paths["un_m49"]), M49_COLUMNS, paths["un_m49"])
    m49 = m49[m49["iso3"].notna()].copy()
    for flag in ("un_member", "ldc", "lldc", "sids"):
        m49[flag] = m49[flag].fillna("").str.strip().str.lower().eq("x")
    for col in (
        "name",
        "m49_formal_name",
        *(f"{f}name_{la}" for la in TRANSLATED for f in ("", "formal_")),
    ):
        # " *" marks non-member states (Holy See, State of Palestine, ...) in the M49 table: a
        # footnote sign, not part of the name.
        names = m49[col].str.strip().str.removesuffix("*").str.strip()
        m49[col] = names.str.replace(_SORT_ARTICLE, "", regex=True).replace("", None)
    m49["m49_formal_name"] = m49["m49_formal_name"].str.replace(r"^the\s+", "", regex=True)

    unu = read_text_csv(paths["unu_countries"], sep=";")
    unu = rename_columns(unu, UNU_COLUMNS, paths["unu_countries"]).dropna(subset=["iso3"])

    wb = rename_columns(
        read_excel(
            paths["wb_class"],
            sheet_name="List of economies",
            dtype=str,
            keep_default_na=False,
            na_values=[""],
        ),
        WB_COLUMNS,
        paths["wb_class"],
    )
    # The sheet lists the 218 economies, then a blank row, then aggregates (WLD, ARB, ...):
    # keep only the block above the first blank row, so aggregates never pass for countries.
    first_blank = wb.index[wb.isna().all(axis=1)]
    if len(first_blank):
        wb = wb.loc[: first_blank[0] - 1]
    wb = wb.dropna(subset=["iso3"])

    out = m49.merge(unu, on="iso3", how="left").merge(wb, on="iso3", how="outer")
    out["name"] = out["name"].fillna(out["wb_name"])
    # The World Bank FY2024 list is the income-group vintage of record; the M49 file's own
    # (undated, inconsistently cased) label fills economies the WB list leaves unclassified.
    fallback = out["m49_income"].str.strip().str.capitalize()
    out["income_source"] = (
        out["income_group"]
        .notna()
        .map({True: "World Bank FY2024", False: "UN M49 (UNDP)"})
        .where(out["income_group"].notna() | fallback.notna())
    )
    out["income_group"] = out["income_group"].fillna(fallback)
    for flag in ("un_member", "ldc", "lldc", "sids"):
        out[flag] = out[flag].fillna(False).astype(bool)
    return out.drop(columns="m49_income").sort_values("iso3").reset_index(drop=True)
