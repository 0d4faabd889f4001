"""Sentence templates per language (``egovlib/i18n/<lang>.yml``) and the formatter that fills them.

Generated text is never written in code: a module computes language-neutral values (ISO3 codes,
index codes, ranks, scores) and asks a `Catalog` to turn a template key into a sentence. Every
language file holds the same keys with the same placeholders (a test checks this), so a new
edition or group needs no translation, and the numbers are the same in every language because
they are formatted once, by the same code.

Placeholders are ``{name}`` or ``{name:kind}``; the kinds are:

============  ==========================================================================
``country``   ISO3 code -> the UN's short name in the language (UN M49 table)
``countries`` list of ISO3 codes -> names joined for prose ("A, B and C")
``ordinal``   rank -> "18th" (English), "18" (Arabic: the template says "المرتبة")
``score``     index score with four decimals ("0.9196")
``small``     a small difference with two significant digits ("0.00013", "0.013")
``signed``    a signed change with four decimals ("+0.0123")
``pct``       a share as a whole percentage ("12%")
``index``     index code -> its short name (``osi`` -> "OSI")
``index_name`` index code -> its full name
``indices``   list of index codes -> short names joined for prose
``years``     list of editions -> joined for prose ("2022 and 2024")
``level``     level group ("Very High") -> its name in the language
``range``     level group -> its EGDI range in words
``group``     group spec -> the group with its article ("the GCC states")
``members``   group spec -> the group without article ("GCC states")
``moves``     list of (ISO3, rank before, rank after) -> "Kuwait (61st → 66th)"
``compmoves`` list of (index, rank before, rank after) -> "OSI 54th → 23rd"
``term``      a key of the language file (``hci_inputs.hdr_eys``) -> its words
``terms``     list of such keys -> their words joined for prose
============  ==========================================================================

Numbers use Western digits in every language (the usage of GCC government portals), so a
figure can be checked character by character between the English and the Arabic text.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .. import config
from ..errors import SpecError
from ..yamltext import parse_yaml

I18N_DIR = config.PACKAGE_DIR / "i18n"
#: Languages with a template file, in the order their pages are linked.
LANGUAGES: tuple[str, ...] = ("en", "ar")


def small_number(x: float) -> str:
    """A small positive difference with two significant digits: 0.00013, 0.013, 0.13."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else "–"
    decimals = max(3, 1 - math.floor(math.log10(abs(x))))
    return f"{x:.{decimals}f}"


@dataclass(frozen=True)
class GroupSpec:
    """A country group as the prose names it: a named group, a region/income group, or a list.

    ``kind`` is ``named`` (a key under ``groups:`` in the language files, e.g. GCC),
    ``category`` (a UN region, sub-region or World Bank income group) or ``list``.
    """

    kind: str
    name: str
    members: tuple[str, ...]


class Catalog:
    """The templates and vocabulary of one language (``egovlib/i18n/<lang>.yml``)."""

    def __init__(self, lang: str, doc: Mapping, path: Path):
        self.lang = lang
        self.doc = doc
        self.path = path
        self.dir = doc["meta"]["dir"]
        self._fmt = _Formatter(self)

    # ------------------------------------------------------------------ lookup
    def get(self, key: str):
        """The value at a dotted ``key`` (``"findings.levels.all"``)."""
        node = self.doc
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise SpecError(
                    f"{self.path}: no entry `{key}` (missing `{part}`). Fix: add it, with the "
                    f"same placeholders as in the other language files ({', '.join(LANGUAGES)})"
                )
            node = node[part]
        return node

    def text(self, key: str, **values) -> str:
        """Fill the template at ``key`` with ``values`` (see the module docstring for kinds)."""
        return self.format(self.get(key), **values)

    def format(self, template: str, **values) -> str:
        """Fill a template string with ``values``."""
        try:
            return self._fmt.format(template, **values).strip()
        except KeyError as exc:
            raise SpecError(
                f"{self.path}: template {template!r} needs a value {exc} that the caller does "
                "not give. Fix: use only the placeholders listed for this key in en.yml"
            ) from exc

    # ------------------------------------------------------------------ words
    def country(self, iso3: str) -> str:
        """The UN's short name of a country in this language."""
        from ..countries import country_name

        if self.lang == "en":
            return country_name(iso3)
        return country_name(iso3, lang=self.lang)

    def join(self, items: Iterable[str]) -> str:
        """Items joined for prose in this language ("A, B and C"; "A، B وC")."""
        items = [str(i) for i in items]
        if len(items) <= 1:
            return "".join(items)
        words = self.doc["words"]
        return words["list_sep"].join(items[:-1]) + words["list_and"] + items[-1]

    def ordinal(self, n) -> str:
        """A rank in words ("18th" in English; the digits in Arabic)."""
        n = int(n)
        forms = self.doc["words"]["ordinal"]
        if self.lang != "en":
            return forms["other"].format(n=n)
        key = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return forms[key].format(n=n)

    def index(self, code: str) -> str:
        """Short name of an index (``osi`` -> "OSI")."""
        return self.get(f"indices.{code}")

    def index_name(self, code: str) -> str:
        """Full name of an index."""
        return self.get(f"index_names.{code}")

    def level(self, name: str) -> str:
        """Name of an EGDI level group."""
        return self.get(f"levels.{name}")

    def level_range(self, name: str) -> str:
        """The EGDI range of a level group, in words."""
        from ..indices import LEVEL_THRESHOLDS

        bounds = dict(LEVEL_THRESHOLDS)
        names = [n for n, _ in LEVEL_THRESHOLDS]
        lo = bounds[name]
        i = names.index(name)
        if i == 0:
            return self.text("ranges.top", lo=f"{lo:.2f}")
        if name == names[-1]:
            return self.text("ranges.bottom", hi=f"{bounds[names[i - 1]]:.2f}")
        return self.text("ranges.between", lo=f"{lo:.2f}", hi=f"{bounds[names[i - 1]]:.2f}")

    def group(self, g: GroupSpec, form: str = "the") -> str:
        """A group named in prose: ``form`` is ``the`` (with article) or ``bare``."""
        groups = self.doc["groups"]
        if g.kind == "named" and g.name in groups:
            return groups[g.name][form]
        if g.kind == "category":
            names = self.doc["categories"]
            if g.name not in names:
                raise SpecError(
                    f"{self.path}: no name for the group {g.name!r} under `categories:`. "
                    "Fix: add it (every UN region, sub-region and income group needs one)"
                )
            return self.format(groups["category"][form], name=names[g.name])
        return groups["list"][form]

    def moves(self, rows: Sequence[tuple]) -> str:
        """Rank moves of countries: "Kuwait (61st → 66th)", joined."""
        return self.join(
            self.text("words.country_move", country=iso3, before=b, after=a) for iso3, b, a in rows
        )

    def compmoves(self, rows: Sequence[tuple]) -> str:
        """Rank moves of indices: "OSI 54th → 23rd", joined."""
        return self.join(
            self.text("words.index_move", index=code, before=b, after=a) for code, b, a in rows
        )


class _Formatter(string.Formatter):
    def __init__(self, catalog: Catalog):
        self.c = catalog

    def format_field(self, value, format_spec):
        c = self.c
        kinds: dict[str, Callable[[Any], str]] = {
            "country": c.country,
            "countries": lambda v: c.join(c.country(x) for x in v),
            "ordinal": c.ordinal,
            "score": lambda v: f"{float(v):.4f}",
            "small": small_number,
            "signed": lambda v: f"{float(v):+.4f}",
            "pct": lambda v: f"{float(v):.0%}",
            "index": c.index,
            "index_name": c.index_name,
            "indices": lambda v: c.join(c.index(x) for x in v),
            "years": lambda v: c.join(str(int(y)) for y in v),
            "level": c.level,
            "range": c.level_range,
            "group": lambda v: c.group(v, "the"),
            "members": lambda v: c.group(v, "bare"),
            "moves": c.moves,
            "compmoves": c.compmoves,
            "term": c.get,
            "terms": lambda v: c.join(c.get(k) for k in v),
        }
        if format_spec in kinds:
            return kinds[format_spec](value)
        return super().format_field(value, format_spec)


@cache
def catalog(lang: str) -> Catalog:
    """The `Catalog` of ``lang`` (one of `LANGUAGES`)."""
    if lang not in LANGUAGES:
        raise SpecError(
            f"no templates for language {lang!r}. Languages: {', '.join(LANGUAGES)}. Fix: add "
            f"egovlib/i18n/{lang}.yml with the keys of en.yml and list it in LANGUAGES"
        )
    path = I18N_DIR / f"{lang}.yml"
    return Catalog(lang, parse_yaml(path.read_text(encoding="utf-8")), path)


def placeholders(template: str) -> set[str]:
    """The placeholder names (with their kinds) of a template, e.g. ``{"rank:ordinal"}``."""
    return {
        f"{name}:{spec}" if spec else name
        for _, name, spec, _ in string.Formatter().parse(template)
        if name is not None
    }


def flatten(doc: Mapping, prefix: str = "") -> dict[str, object]:
    """A nested language file as ``{dotted key: value}``."""
    out: dict[str, object] = {}
    for k, v in doc.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out
