"""Regression specs as data -> fits, diagnostics, tables, prose and figures (notebook 04).

Design (issue 5):

- A `Spec` is a frozen dataclass (outcome, regressors, controls, editions, sample rule,
  estimator, covariance). Named variable sets and default specs live in
  ``egovlib/model_specs.yml``. `fit_specs` fits a list of specs and returns `ModelResults`.
- Estimators: ``ols`` (HC3 errors), ``fraclogit`` (GLM binomial, logit link, HC0 errors,
  average marginal effects by the delta method), ``median`` (quantile regression) and
  ``panel_fe`` (linearmodels PanelOLS with country and year effects, errors clustered by
  country). Covariates come from `egovlib.build_panel` with its vintage rule.
- Circularity guard (`circularity`): the outcome itself, its UN components, indices containing
  it and covariates whose ``Variable.inputs_of`` lists it are refused unless the user allows
  them explicitly (the report states the override). Composite indicators built partly from the
  outcome (Oxford GAIRI uses UN OSI and TII; GTMI 2020 uses UN OSI/TII/HCI) are flagged as
  *reverse circularity* warnings, not refused.
- Missing data never passes silently: every spec lists the countries it dropped and why.
"""

from .estimation import (
    COEF_COLUMNS,
    Fit,
    ModelResults,
    average_marginal_effects,
    design,
    fit_spec,
    fit_specs,
    model_data,
    required_covariates,
)
from .figures import coefficient_plot, focus_residual_plot, partial_regression
from .reporting import (
    CAUTION,
    diagnostics_prose,
    diagnostics_table,
    dropped_by_spec,
    effect_sentences,
    focus_residuals,
    format_p,
    headline_fit,
    panel_prose,
    residual_fit,
    residual_sentences,
    side_by_side,
    source_ids,
    status_prose,
    vintage_table,
)
from .specs import (
    ESTIMATOR_LABELS,
    Spec,
    check_circularity,
    circularity,
    default_panel_specs,
    default_specs,
    expand_terms,
    term_label,
    variable_sets,
)

__all__ = [
    "CAUTION",
    "COEF_COLUMNS",
    "ESTIMATOR_LABELS",
    "Fit",
    "ModelResults",
    "Spec",
    "average_marginal_effects",
    "format_p",
    "check_circularity",
    "circularity",
    "coefficient_plot",
    "default_panel_specs",
    "default_specs",
    "design",
    "diagnostics_prose",
    "diagnostics_table",
    "dropped_by_spec",
    "effect_sentences",
    "headline_fit",
    "panel_prose",
    "source_ids",
    "status_prose",
    "expand_terms",
    "fit_spec",
    "fit_specs",
    "focus_residual_plot",
    "focus_residuals",
    "model_data",
    "partial_regression",
    "required_covariates",
    "residual_fit",
    "residual_sentences",
    "side_by_side",
    "term_label",
    "variable_sets",
    "vintage_table",
]
