"""Parsing of egovlib's YAML files (catalogue, judgements, specs, glossary, translations).

PyYAML's pure-Python parser takes ~0.25 s for these files, and every report kernel reads them;
libyaml's C parser (bundled with PyYAML's wheels) gives the same objects about ten times faster.
The pure-Python safe loader stays the fallback where PyYAML was built without libyaml.
"""

from __future__ import annotations

from typing import Any

import yaml

#: The safe loader in C where available (same resolver and types as `yaml.SafeLoader`).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, with libyaml's parser where available.

    Parameters
    ----------
    text : str
        A YAML document.

    Returns
    -------
    object
        The document as Python objects (dicts, lists, strings, numbers, dates, None).

    Raises
    ------
    yaml.YAMLError
        As `yaml.safe_load` does, with the line and column of the problem.
    """
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
