"""egovlib: data, methods and reports for research on the UN E-Government Survey."""

from .countries import country_name, country_table, resolve_country, resolve_group, un_members
from .errors import DataError, EgovError, SpecError
from .panel import (
    Panel,
    build_panel,
    coverage_table,
    editions,
    latest_edition,
    load_covariates,
    load_egdi_panel,
)
from .readers import load_table, variables
from .sources import data_root, load_catalogue

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "EgovError",
    "Panel",
    "SpecError",
    "build_panel",
    "country_name",
    "country_table",
    "coverage_table",
    "data_root",
    "editions",
    "latest_edition",
    "load_catalogue",
    "load_covariates",
    "load_egdi_panel",
    "load_table",
    "resolve_country",
    "resolve_group",
    "un_members",
    "variables",
]
