"""Pandera schemas: every reader's output is validated against one of these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

#: Name of the check that holds every covariate value inside its variable's plausible range.
PLAUSIBLE_RANGE_CHECK = "plausible_range"


@dataclass(frozen=True)
class PlausibleRange:
    """The values a covariate can take: ``lo <= value <= hi`` (``lo < value`` if ``lo_open``).

    A value outside is refused at load, whatever its checksum: a percentage of 957 or -15.9 is
    a damaged file, not a finding. Bounds are wide on purpose (they hold every published value
    in the mirror, e.g. Greece's tertiary GER of 166 %, Fiji's 574 mobile subscriptions per 100
    people); they catch impossible values, not outliers.
    """

    lo: float
    hi: float
    lo_open: bool = False

    def __str__(self) -> str:
        lo = f"above {self.lo:g}" if self.lo_open else f"{self.lo:g}"
        return f"{lo} to {self.hi:g}"


#: Plausible range of a covariate by its unit (`readers.Variable.unit`). A variable whose unit is
#: not listed, or which needs other bounds, declares ``valid_range`` itself.
UNIT_RANGES: dict[str, PlausibleRange] = {
    # shares of a population or of a budget: percentages
    "% of population": PlausibleRange(0, 100),
    "% of people 15+": PlausibleRange(0, 100),
    "% of youth and adults": PlausibleRange(0, 100),
    "% of GDP": PlausibleRange(0, 100),
    "% of government expenditure": PlausibleRange(0, 100),
    # scores and shares on a fixed scale
    "index 0-1": PlausibleRange(0, 1),
    "score 0-1": PlausibleRange(0, 1),
    "percentile 0-1": PlausibleRange(0, 1),
    "index points": PlausibleRange(0, 1),  # AIPI components: four terms summing to the AIPI
    "score 0-10": PlausibleRange(0, 10),
    "score 0-100": PlausibleRange(0, 100),
    "GTMI code": PlausibleRange(0, 3),  # each question's own codes are checked by its reader
    "ordinal 1-4": PlausibleRange(1, 4),
    # durations and counts
    "years": PlausibleRange(0, 30),  # schooling: expected years reach 23, mean years 14
    "count": PlausibleRange(0, 5e9),  # subscriptions; 0 = none reported
    "people": PlausibleRange(0, 2e9, lo_open=True),
    "million people": PlausibleRange(0, 2000, lo_open=True),
    # money: positive amounts
    "2017 PPP $": PlausibleRange(0, 500_000, lo_open=True),  # per capita
    "current US$": PlausibleRange(0, 500_000, lo_open=True),  # per capita
    "current international $": PlausibleRange(0, 1e14, lo_open=True),  # totals and per capita
    # ratios that can pass 100
    "per 100 people": PlausibleRange(0, 1000),
}


def plausible_range(unit: str, override: PlausibleRange | None = None) -> PlausibleRange | None:
    """The range of a variable: its own ``override`` if given, else the range of its unit."""
    return override if override is not None else UNIT_RANGES.get(unit)


#: Long covariate tables: one value per country, reference year and variable.
LONG = pa.DataFrameSchema(
    {
        "iso3": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
        "year": pa.Column(int, pa.Check.in_range(1960, 2030)),
        "variable": pa.Column(str),
        "value": pa.Column(float, nullable=False),
        "source": pa.Column(str),
    },
    unique=["iso3", "year", "variable"],
    strict=True,
    coerce=True,
)


def long_schema(ranges: Mapping[str, PlausibleRange]) -> pa.DataFrameSchema:
    """`LONG` plus a check that every value lies in its variable's plausible range.

    Parameters
    ----------
    ranges : mapping of str to PlausibleRange
        Range of every variable the reader produces (a row of another variable fails).
    """
    ranges = dict(ranges)

    lo = {v: r.lo for v, r in ranges.items()}
    hi = {v: r.hi for v, r in ranges.items()}
    open_lo = [v for v, r in ranges.items() if r.lo_open]

    def inside(df: pd.DataFrame) -> pd.Series:
        # a variable without a range maps to NaN bounds, so its rows fail
        low, high = df["variable"].map(lo), df["variable"].map(hi)
        above = (df["value"] > low).where(df["variable"].isin(open_lo), df["value"] >= low)
        return above & (df["value"] <= high)

    return pa.DataFrameSchema(
        LONG.columns,
        checks=[
            pa.Check(inside, name=PLAUSIBLE_RANGE_CHECK, error="value outside its plausible range")
        ],
        unique=LONG.unique,
        strict=True,
        coerce=True,
        metadata={"ranges": ranges},
    )


#: The EGDI panel. Scores lie in [0, 1] except the published 2003 HCI anomalies (flagged).
EGDI = pa.DataFrameSchema(
    {
        "iso3": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
        "country": pa.Column(str),
        "year": pa.Column(int, pa.Check.in_range(2001, 2100)),
        "rank": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        **{
            c: pa.Column(float, pa.Check.in_range(0, 1), nullable=True)
            for c in ("egdi", "osi", "tii", "epi")
        },
        # 2003 HCI > 1 for Micronesia (1.422) and Tuvalu (1.03) as published: allowed, flagged.
        "hci": pa.Column(float, pa.Check.ge(0), nullable=True),
        "assessed": pa.Column(bool),
        "hci_above_one": pa.Column(bool),
        "source": pa.Column(str),
    },
    checks=[
        pa.Check(
            lambda d: ~(d["hci"] > 1) | d["hci_above_one"],
            error="HCI above 1 outside the published anomalies",
        )
    ],
    unique=["iso3", "year"],
    strict=True,
    coerce=True,
)
