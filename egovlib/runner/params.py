"""Notebook parameters: the `parameters` cells, parameters files, and the schema check.

Every value is checked against ``notebooks/parameter_schema.yml`` before any kernel starts.
"""

from __future__ import annotations

import ast
import difflib
import io
import json
import math
import re
import tokenize
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..errors import EgovError, SpecError
from ..yamltext import parse_yaml

#: File in the notebooks folder that declares every notebook parameter (docs/runner.md).
SCHEMA_FILE = "parameter_schema.yml"
#: Types a schema entry may declare.
TYPES = ("int", "float", "bool", "str", "iso3", "group", "file", "list", "dict")
_SPEC_FIELDS = {"type", "nullable", "min", "max", "choices", "items", "min_items", "max_items"}
_SPEC_FIELDS |= {"keys", "values", "help"}
_NOTEBOOK_NAME = re.compile(r"^\d\d_\w+$")


# ------------------------------------------------------------------ the notebook side
@dataclass(frozen=True)
class NotebookInfo:
    """What the runner needs to know about a notebook before running it.

    Attributes
    ----------
    path : Path
        The ``.ipynb`` file.
    parameters : dict of str to str
        Parameters of its ``parameters`` cell, name -> the comment on its line (help text).
    defaults : dict
        Default value of each parameter, where it is a literal (``None``, numbers, strings,
        lists, dicts); other defaults are left out.
    imports : frozenset of str
        Modules the notebook imports at the top level of its code cells (``import x``,
        ``from x import y``), used to pre-warm kernels with imports the notebook does anyway.
    """

    path: Path
    parameters: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)
    imports: frozenset = frozenset()

    @property
    def name(self) -> str:
        """The notebook's name without ``.ipynb``, e.g. ``04_determinants``."""
        return self.path.stem


def read_notebook_json(path: Path) -> dict:
    """A notebook file as JSON, or a clear error for a file that is not a saved notebook."""
    try:
        doc = json.loads(Path(path).read_bytes())
    except json.JSONDecodeError as exc:
        raise EgovError(
            f"{path}: not a valid notebook (invalid JSON at line {exc.lineno}: {exc.msg}); it "
            "may be half-saved. Fix: save it again in JupyterLab, or restore it with "
            f"`git checkout -- {Path(path).name}`"
        ) from exc
    except OSError as exc:
        raise EgovError(
            f"{path}: cannot read the notebook ({exc.strerror}). Fix: check the file's permissions"
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
        raise EgovError(
            f"{path}: not a Jupyter notebook (no list of cells). Fix: save it again in "
            "JupyterLab, or move it out of the notebooks folder"
        )
    return doc


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


@cache
def _notebook_info(path: Path, _mtime: int, _size: int) -> NotebookInfo:
    doc = read_notebook_json(path)
    code = [c for c in doc["cells"] if c.get("cell_type") == "code"]
    pcells = [c for c in code if "parameters" in (c.get("metadata") or {}).get("tags", [])]
    params: dict[str, str] = {}
    defaults: dict = {}
    if pcells:
        src = _source(pcells[0])
        try:
            tree = ast.parse(src)
            comments = {
                tok.start[0]: tok.string.lstrip("#").strip()
                for tok in tokenize.generate_tokens(io.StringIO(src).readline)
                if tok.type == tokenize.COMMENT
            }
        except (SyntaxError, tokenize.TokenError) as exc:
            raise EgovError(
                f"{path}: the `parameters` cell is not valid Python ({exc}). Fix: correct it "
                "in JupyterLab"
            ) from exc
        for name, value, line, end in _assignments(tree):
            params[name] = comments.get(end) or comments.get(line, "")
            try:
                defaults[name] = ast.literal_eval(value) if value is not None else None
            except ValueError:
                pass
    return NotebookInfo(Path(path), params, defaults, frozenset(_imports(code)))


def _assignments(tree: ast.Module):
    """``(name, value node, first line, last line)`` of each top-level ``name = value``."""
    for node in tree.body:
        value: ast.expr | None
        if isinstance(node, ast.Assign):
            targets, value = list(node.targets), node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                yield target.id, value, node.lineno, node.end_lineno or node.lineno


def _imports(code_cells: list[dict]) -> set[str]:
    """Modules imported at the top level of the cells.

    ``from a import b`` gives ``a`` and, as ``b`` may be a submodule, ``a.b`` (the pre-warming
    skips names that are not modules).
    """
    found: set[str] = set()
    for cell in code_cells:
        lines = [ln for ln in _source(cell).splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names if a.name != "*")
    return found


def notebook_info(path: Path) -> NotebookInfo:
    """Parameters, literal defaults and imports of a notebook (cached while the file is unchanged).

    The parameters cell is parsed with `ast`, not papermill's line parser, which drops any line
    holding two ``=`` (e.g. ``year = None  # None = latest``) and would leave it uninjected.

    Raises
    ------
    EgovError
        If the file is not a valid notebook (e.g. half-saved) or its parameters cell is not
        valid Python, naming the file and the fix.
    """
    path = Path(path).resolve()
    try:
        st = path.stat()
    except OSError as exc:
        raise EgovError(f"{path}: cannot read the notebook ({exc.strerror})") from exc
    return _notebook_info(path, st.st_mtime_ns, st.st_size)


def notebook_parameters(path: Path) -> dict[str, str]:
    """Parameters declared in a notebook's ``parameters`` cell: name -> its comment (help text)."""
    return dict(notebook_info(path).parameters)


# ------------------------------------------------------------------ the parameters file
def load_params(path: Path | str | None) -> tuple[dict, dict[str, dict]]:
    """Read a parameters file: ``(common parameters, {notebook: its own parameters})``.

    The YAML file maps parameter names to values (lists and dicts allowed) for every notebook;
    an optional ``notebooks:`` mapping gives per-notebook values keyed by name or number.
    """
    if path is None:
        return {}, {}
    import yaml

    path = Path(path)
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise SpecError(
            f"{path}: cannot read the parameters file ({exc.strerror}). Fix: check the path"
        ) from exc
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise SpecError(
            f"{path}: the parameters file is not valid YAML{line}. Fix: correct the syntax "
            "(see notebooks/params/*.yml for examples)"
        ) from exc
    if not isinstance(doc, dict):
        raise SpecError(
            f"{path}: expected a mapping `name: value`, got {type(doc).__name__}. Fix: write "
            "one `name: value` per line"
        )
    if "year" in doc:
        raise SpecError(
            f"{path}: `year` is set with --year or --all-years, not in the parameters file. "
            "Fix: remove it"
        )
    per = doc.pop("notebooks", None) or {}
    if not isinstance(per, dict) or not all(isinstance(v, dict) for v in per.values()):
        raise SpecError(
            f"{path}: `notebooks:` must map a notebook name or number to its parameters. Fix: "
            'e.g. `notebooks: {"06": {mentor: BHR}}`'
        )
    return doc, {str(k): v for k, v in per.items()}


# ------------------------------------------------------------------ the schema
@dataclass(frozen=True)
class ParamSpec:
    """What one notebook parameter accepts (one entry of the parameter schema)."""

    name: str
    type: str
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None
    items: ParamSpec | None = None
    min_items: int = 0
    max_items: int | None = None
    keys: tuple | None = None
    values: ParamSpec | None = None
    help: str = ""

    def describe(self) -> str:
        """The valid values in words, for error messages."""
        text = _describe(self)
        return f"{text}, or null" if self.nullable else text


#: Valid values in words, for the types that need no more detail.
_TYPE_WORDS = {
    "bool": "true or false",
    "str": "a text",
    "iso3": "a country: an ISO3 code such as BHR or a name such as Bahrain",
    "group": "a named group (GCC, a UN region, sub-region or income group) or a list of ISO3 codes",
    "file": "the path of an existing file (relative to the notebooks folder)",
}


def _describe(s: ParamSpec) -> str:
    if s.choices is not None:
        return "one of " + ", ".join(map(str, s.choices))
    if s.type in ("int", "float"):
        return _describe_number(s)
    if s.type == "list":
        what = _describe(s.items) if s.items else "values"
        size = f" (at least {s.min_items})" if s.min_items else ""
        return f"a list{size} of: {what}; a single value counts as a list of one"
    if s.type == "dict":
        keys = f" with keys among {', '.join(map(str, s.keys))}" if s.keys else ""
        vals = f"; each value {_describe(s.values)}" if s.values else ""
        return f"a mapping{keys}{vals}"
    return _TYPE_WORDS.get(s.type, s.type)


def _describe_number(s: ParamSpec) -> str:
    kind = "a whole number" if s.type == "int" else "a number"
    if s.min is not None and s.max is not None:
        return f"{kind} from {_num(s.min)} to {_num(s.max)}"
    if s.min is not None:
        return f"{kind} of at least {_num(s.min)}"
    if s.max is not None:
        return f"{kind} of at most {_num(s.max)}"
    return kind


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _parse_spec(name: str, raw, where: str) -> ParamSpec:
    if isinstance(raw, str):
        raw = {"type": raw}
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: entry `{name}` must be a mapping such as `{{type: int}}`")
    unknown = set(raw) - _SPEC_FIELDS
    if unknown or raw.get("type") not in TYPES:
        raise SpecError(
            f"{where}: entry `{name}` has {'field(s) ' + str(sorted(unknown)) if unknown else ''}"
            f"{' and ' if unknown and raw.get('type') not in TYPES else ''}"
            f"{'type ' + repr(raw.get('type')) if raw.get('type') not in TYPES else ''}. "
            f"Fix: use type one of {', '.join(TYPES)} and fields {', '.join(sorted(_SPEC_FIELDS))}"
        )
    items = _parse_spec(f"{name}[]", raw["items"], where) if "items" in raw else None
    values = _parse_spec(f"{name}{{}}", raw["values"], where) if "values" in raw else None
    return ParamSpec(
        name=name,
        type=raw["type"],
        nullable=bool(raw.get("nullable", False)),
        min=raw.get("min"),
        max=raw.get("max"),
        choices=tuple(raw["choices"]) if raw.get("choices") is not None else None,
        items=items,
        min_items=int(raw.get("min_items", 0)),
        max_items=raw.get("max_items"),
        keys=tuple(raw["keys"]) if raw.get("keys") is not None else None,
        values=values,
        help=str(raw.get("help", "")),
    )


@dataclass(frozen=True)
class ParamSchema:
    """The parameter schema of a notebooks folder: shared entries and per-notebook overrides."""

    path: Path | None
    common: dict
    per_notebook: dict

    def spec(self, notebook: str, name: str) -> ParamSpec | None:
        """The entry for parameter ``name`` of ``notebook`` (its own entry, else the shared)."""
        for key, specs in self.per_notebook.items():
            if _matches(notebook, key) and name in specs:
                return specs[name]
        return self.common.get(name)


def _matches(notebook: str, key: str) -> bool:
    return key == notebook or key == notebook[:2] or key == notebook[3:]


def load_schema(notebooks_dir: Path) -> ParamSchema:
    """The schema ``<notebooks_dir>/parameter_schema.yml`` (empty if the folder has none)."""
    import yaml

    path = Path(notebooks_dir) / SCHEMA_FILE
    if not path.is_file():
        return ParamSchema(None, {}, {})
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot read the parameter schema ({exc}). Fix: the YAML") from exc
    common = {n: _parse_spec(n, s, str(path)) for n, s in (doc.get("parameters") or {}).items()}
    per = {
        str(nb): {n: _parse_spec(n, s, str(path)) for n, s in (specs or {}).items()}
        for nb, specs in (doc.get("notebooks") or {}).items()
    }
    return ParamSchema(path, common, per)


class _Invalid(Exception):
    """A value that does not fit its spec (the message says why)."""


def check_value(spec: ParamSpec, value):
    """``value`` converted to what the notebook expects, or `_Invalid` saying what is wrong."""
    if value is None:
        if spec.nullable:
            return None
        raise _Invalid("null is not allowed")
    value = _CHECKS[spec.type](spec, value)
    if spec.choices is not None and value not in spec.choices:
        close = difflib.get_close_matches(str(value), [str(c) for c in spec.choices], 1)
        raise _Invalid(
            f"{_show(value)} is not allowed" + (f" (did you mean {close[0]}?)" if close else "")
        )
    return value


def _check_list(spec: ParamSpec, value):
    if isinstance(value, (str, int, float, bool)):
        value = [value]  # `mentees: TUN` means a list of one
    if not isinstance(value, list):
        raise _Invalid(f"{_show(value)} is not a list")
    if len(value) < spec.min_items:
        raise _Invalid("an empty list" if not value else f"{len(value)} item(s), too few")
    if spec.max_items is not None and len(value) > spec.max_items:
        raise _Invalid(f"{len(value)} items, more than {spec.max_items}")
    return value if spec.items is None else [check_value(spec.items, v) for v in value]


def _check_dict(spec: ParamSpec, value):
    if not isinstance(value, dict):
        raise _Invalid(f"{_show(value)} is not a mapping")
    bad = [k for k in value if spec.keys is not None and k not in spec.keys]
    if bad:
        raise _Invalid(f"unknown key(s) {', '.join(map(str, bad))}")
    if spec.values is None:
        return value
    return {k: check_value(spec.values, v) for k, v in value.items()}


def _check_bool(spec: ParamSpec, value):
    if not isinstance(value, bool):
        raise _Invalid(f"{_show(value)} is not true or false")
    return value


def _check_number(spec: ParamSpec, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"{_show(value)} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Invalid(f"{value} is not a finite number")
    if spec.type == "int" and not isinstance(value, int):
        raise _Invalid(f"{_show(value)} is not a whole number")
    if spec.min is not None and value < spec.min:
        raise _Invalid(f"{_show(value)} is below the minimum {_num(spec.min)}")
    if spec.max is not None and value > spec.max:
        raise _Invalid(f"{_show(value)} is above the maximum {_num(spec.max)}")
    return value


def _check_text(spec: ParamSpec, value):
    if not isinstance(value, str):
        raise _Invalid(f"{_show(value)} is not a text")
    if spec.type == "iso3" and not value.strip():
        raise _Invalid("an empty text is not a country")
    return value  # a code or a name: `check_countries` resolves it against the country table


def _check_group(spec: ParamSpec, value):
    if isinstance(value, list):
        if not value:
            raise _Invalid("an empty list")
        if not all(isinstance(v, str) for v in value):
            raise _Invalid(f"{_show(value)} is not a list of ISO3 codes")
    elif not isinstance(value, str):
        raise _Invalid(f"{_show(value)} is neither a group name nor a list of ISO3 codes")
    return value


_CHECKS = {
    "list": _check_list,
    "dict": _check_dict,
    "bool": _check_bool,
    "int": _check_number,
    "float": _check_number,
    "str": _check_text,
    "iso3": _check_text,
    "file": _check_text,
    "group": _check_group,
}


def _show(value) -> str:
    if isinstance(value, str):
        return repr(value)
    return json.dumps(value, default=str)


# ------------------------------------------------------------------ planning
def plan_parameters(
    notebooks: list[Path],
    common: dict,
    per_notebook: dict[str, dict],
    params_file: str = "the parameters file",
    available: list[Path] | None = None,
    schema: ParamSchema | None = None,
) -> dict[Path, dict]:
    """Parameters to inject into each notebook (without ``year``), checked and converted.

    A common parameter goes to the notebooks that declare it. A parameter that no notebook in
    the folder declares (``available``, default ``notebooks``) is an error, as is a
    per-notebook value the notebook does not take (a typo would otherwise be ignored). Every
    value is checked against the parameter schema (``schema``, default the folder's
    ``parameter_schema.yml``): a single value where a list is expected becomes a list of one.
    Per-notebook entries of notebooks not selected for this run are checked but not injected.

    Raises
    ------
    SpecError
        One line naming the parameter, the value and the valid values.
    """
    available = available or notebooks
    infos = {nb: notebook_info(nb) for nb in dict.fromkeys([*available, *notebooks])}
    if schema is None:
        schema = load_schema(notebooks[0].parent if notebooks else Path("."))
    declared = {nb: info.parameters for nb, info in infos.items()}
    _check_known(common, declared, params_file)
    plan = {nb: {k: v for k, v in common.items() if k in declared[nb]} for nb in infos}
    for key, values in per_notebook.items():
        nb = _notebook_for(key, list(infos), params_file)
        _check_known(values, {nb: declared[nb]}, params_file, f"`notebooks: {key}` sets")
        plan[nb].update(values)
    for nb, values in plan.items():
        for k, v in list(values.items()):
            values[k] = _checked(
                schema, nb.stem, k, v, infos[nb].parameters.get(k, ""), params_file
            )
    return {nb: plan[nb] for nb in notebooks}


def _check_known(
    values: dict, declared: dict[Path, dict], where: str, what: str = "unknown parameter"
) -> None:
    """Every key of ``values`` must be a parameter of one of ``declared``'s notebooks."""
    every = sorted({k for d in declared.values() for k in d if k != "year"})
    for key in values:
        if key != "year" and any(key in d for d in declared.values()):
            continue
        close = difflib.get_close_matches(key, every, 1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        whose = "no notebook declares it" if len(declared) > 1 else "the notebook does not take it"
        raise SpecError(
            f"{where}: {what} `{key}`: {whose}; {hint}valid parameters: {', '.join(every)}"
        )


def _notebook_for(key: str, notebooks: list[Path], where: str) -> Path:
    hits = [nb for nb in notebooks if _matches(nb.stem, key)]
    if len(hits) != 1:
        raise SpecError(
            f"{where}: `notebooks: {key}` is not a notebook. Valid: "
            f"{', '.join(nb.stem for nb in notebooks)} (or their numbers)"
        )
    return hits[0]


def _checked(schema: ParamSchema, notebook: str, name: str, value, help_text: str, where: str):
    spec = schema.spec(notebook, name)
    if spec is None:
        if schema.path is None:
            return value  # a folder without a schema: names are checked, values are not
        raise SpecError(
            f"{where}: parameter `{name}` of {notebook} is not declared in {schema.path}. Fix: "
            "declare it there (docs/runner.md, 'Parameter schema')"
        )
    try:
        value = check_value(spec, value)
        if spec.type == "file" and value is not None:
            # Notebooks run in their own folder: a relative path is relative to it.
            folder = schema.path.parent if schema.path else Path(".")
            if not (folder / value).is_file():
                raise _Invalid(f"{value!r} is not a file (looked in {folder})")
        return value
    except _Invalid as exc:
        about = spec.help or help_text
        raise SpecError(
            f"{where}: `{name}` ({notebook}): {exc}; valid: {spec.describe()}"
            + (f" ({about})" if about else "")
        ) from None


def check_countries(plan: dict[Path, dict], schema: ParamSchema, where: str) -> None:
    """Check countries and groups against the country table; countries become ISO3 codes.

    A country parameter (``iso3`` in the schema, or a list of them) accepts a code in any case
    or a name (``"Bahrain"``, ``"Kingdom of Bahrain"``); ``plan`` is updated in place with the
    ISO3 codes, so a notebook always receives a code and the cache sees one value. A group
    parameter keeps a group name as it is (reports show it), and a list of countries becomes
    their codes. Kept apart from `plan_parameters` because it loads the country table
    (pandas): a run without country parameters does not pay for it.

    Raises
    ------
    SpecError
        One line naming the parameter and the notebook, the unknown country or group, the
        close matches and the fix.
    """
    todo = []
    for nb, values in plan.items():
        for name, value in values.items():
            spec = schema.spec(nb.stem, name)
            if spec is None or value is None:
                continue
            kind = spec.items.type if spec.type == "list" and spec.items else spec.type
            if kind in ("iso3", "group"):
                todo.append((nb, name, kind, value))
    if not todo:
        return
    from ..countries import resolve_country, resolve_group

    for nb, name, kind, value in todo:
        try:
            if kind == "group":
                codes = resolve_group(value)
                plan[nb][name] = codes if isinstance(value, list) else value
            elif isinstance(value, list):
                plan[nb][name] = [resolve_country(v) for v in value]
            else:
                plan[nb][name] = resolve_country(value)
        except EgovError as exc:
            raise SpecError(f"{where}: `{name}` ({nb.stem}): {str(exc).splitlines()[0]}") from None


def check_schema_covers(notebooks: list[Path], schema: ParamSchema) -> list[str]:
    """Problems between notebooks and the schema: undeclared parameters, invalid defaults."""
    problems = []
    for nb in notebooks:
        info = notebook_info(nb)
        for name in info.parameters:
            spec = schema.spec(nb.stem, name)
            if spec is None:
                problems.append(f"{nb.stem}: parameter `{name}` is not declared")
                continue
            if name in info.defaults:
                try:
                    check_value(spec, info.defaults[name])
                except _Invalid as exc:
                    problems.append(f"{nb.stem}: default of `{name}`: {exc}")
    for key, specs in schema.per_notebook.items():
        hits = [nb for nb in notebooks if _matches(nb.stem, key)]
        if not hits:
            problems.append(f"schema section `notebooks: {key}` names no notebook")
        for name in specs:
            if hits and name not in notebook_info(hits[0]).parameters:
                problems.append(
                    f"schema entry `{name}` of {key}: the notebook has no such parameter"
                )
    used = {k for nb in notebooks for k in notebook_info(nb).parameters}
    problems += [
        f"schema entry `{k}`: no notebook has this parameter"
        for k in schema.common
        if k not in used
    ]
    return problems


def is_notebook_name(name: str) -> bool:
    """True for a name of the form ``NN_name``."""
    return bool(_NOTEBOOK_NAME.match(name))


def parameters_in_words(params: dict, words: dict[str, str] | None = None) -> str:
    """Parameters as a reader sees them under a report's title: country codes by name.

    ``words``: `parameter_words` of ``params`` when the caller has them already. Called by the
    workers, not the runner: naming a country imports pandas, which would delay the first
    notebook by a second.
    """
    words = parameter_words(params) if words is None else words
    return "; ".join(f"{k}: {v}" for k, v in words.items())


def parameter_words(params: dict) -> dict[str, str]:
    """Each parameter's name and value in words (`parameters_in_words`), for the index pages."""
    return {k.replace("_", " "): _readable(v) for k, v in params.items()}


def _readable(value) -> str:
    """A parameter value in words: ISO3 codes (alone or in a list) become country names.

    Code words of the notebooks (``income_group``, ``top10``) become words.
    """
    from ..countries import country_name
    from ..report import join_names

    def name(v):
        if isinstance(v, str) and len(v) == 3 and v.isupper():
            try:
                return country_name(v)
            except Exception:  # not a country code: shown as it is
                return v
        if v is None:
            return "none"
        if isinstance(v, str) and re.fullmatch(r"[a-z][a-z0-9_]*", v):
            # a code word of the notebooks ("income_group", "top10"): in words
            return re.sub(r"^top(\d+)$", r"top \1", v).replace("_", " ")
        return v if isinstance(v, str) else json.dumps(v, default=str)

    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return join_names([name(v) for v in value])
    return name(value)
