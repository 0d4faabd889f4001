"""Notebook-side helpers: year resolution and table formatting."""

from __future__ import annotations

import re
from unittest import mock

import pandas as pd
import pytest

from egovlib import report
from egovlib.errors import EgovError


def test_resolve_year():
    assert report.resolve_year(None) == 2024
    assert report.resolve_year("2012") == 2012
    with pytest.raises(EgovError, match="2023 .*not a survey edition.*2022, 2024"):
        report.resolve_year(2023)


def test_show_table_formats_and_precision():
    df = pd.DataFrame(
        {"a": [1.23456, None], "b": [2.5, 3.0], "rank": [1, 2], "pop": [1234567.0, 2.0]}
    )
    with mock.patch.object(report, "display") as shown:
        report.show_table(df, "Caption here", formats={"b": "{:.1f}"}, precision=2)
    html = shown.call_args[0][0].to_html()
    cells = re.findall(r">([^<>]+)</td>", html)
    assert cells == ["1.23", "2.5", "1", "1,234,567.00", "–", "3.0", "2", "2.00"]
    assert "Caption here" in html


def test_signed_format_drops_the_sign_of_a_rounded_zero():
    fmt = report.signed_format(4)
    assert fmt(0.01234) == "+0.0123"
    assert fmt(-0.01236) == "-0.0124"
    assert fmt(-0.00004) == "0.0000"
    assert fmt(float("nan")) == "–"
    assert report.signed_format(5)(-0.000004) == "0.00000"


def test_join_names():
    assert report.join_names([]) == ""
    assert report.join_names(["Oman"]) == "Oman"
    assert report.join_names(["Oman", "Qatar", "Kuwait"]) == "Oman, Qatar and Kuwait"
