"""Pandera schemas: every reader's output is validated against one of these."""

from __future__ import annotations

import pandera.pandas as pa

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
