"""egovlib: data, methods and reports for research on the UN E-Government Survey."""

from importlib import import_module

from .errors import DataError, EgovError, SpecError

__version__ = "0.1.0"

#: Public names and the module that defines each. They are imported on first use (PEP 562), so
#: that `import egovlib` (and the `egov` command) does not load pandas until it is needed.
_LAZY = {
    "country_name": "countries",
    "country_table": "countries",
    "resolve_country": "countries",
    "resolve_group": "countries",
    "un_members": "countries",
    "Panel": "panel",
    "build_panel": "panel",
    "coverage_table": "panel",
    "editions": "panel",
    "latest_edition": "panel",
    "load_covariates": "panel",
    "load_egdi_panel": "panel",
    "load_table": "readers",
    "variables": "readers",
    "data_root": "sources",
    "load_catalogue": "sources",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'egovlib' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *_LAZY])


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
