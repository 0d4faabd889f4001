"""Determinants of the UN E-Government scores (notebook 04).

Hypotheses and regression specs as data -> fits -> views (text and tables) -> figures.

Design (issue 11):

- Three primary hypotheses, declared in ``egovlib/model_specs.yml``: government cloud, digital
  ID (e-ID) and AI in government, each answered by one contrast between two codes of one item,
  in one headline model with the same controls in every edition. Codes enter as dummies and are
  read as contrasts; the family's p-values are Holm- (or Benjamini-Hochberg-) adjusted; a null
  rules out only what no estimate in the report reaches; a significant headline names the
  control set that shrinks it and a within-country check that does not confirm it.
- Two guards refuse a spec: circularity (a regressor that is an input of the outcome index) and
  aggregate/item (a composite beside one of its own components, from ``Variable.components``).
- Every compared column uses one common sample; the countries it loses are named. Near-outcome
  composites (GTMI group scores, AI-readiness indices) are modelled apart.
- Robustness: a specification curve over controls, vintage lag and maximum age, estimator,
  sample and model, and a multiple-imputation (MICE) refit. Residuals come from a bounded
  fractional logit. Panels standardise the outcome within each edition, inside one methodology
  era.
"""

from . import figures
from .analysis import CONTROLS_ONLY, Determinants, determinants, era_editions, joint_name
from .estimation import (
    COEF_COLUMNS,
    Fit,
    ModelResults,
    average_marginal_effects,
    design,
    fit_spec,
    fit_specs,
    required_covariates,
    standardised_residuals,
)
from .figures import contrast_plot, near_outcome_plot, residual_plot, spec_curve_plot
from .inference import adjust_pvalues, contrast, equivalence_bound, primary_table
from .reporting import (
    CAUTION,
    answer_sentences,
    ceiling_sentences,
    collinearity_view,
    contrast_alt,
    contrast_data,
    contrast_figure_data,
    curve_alt,
    curve_data,
    curve_prose,
    diagnostics_prose,
    diagnostics_table,
    era_prose,
    exploratory_prose,
    format_p,
    hypotheses_prose,
    hypotheses_table,
    key_findings,
    methods_prose,
    mice_prose,
    mice_view,
    near_alt,
    near_figure_data,
    near_prose,
    primary_view,
    residual_alt,
    residual_data,
    residual_prose,
    residual_table,
    residual_view,
    sample_prose,
    side_by_side,
    side_by_side_caption,
    source_ids,
    two_wave_prose,
    vintage_table,
)
from .robustness import CommonSample, common_sample, curve_summary, mice_check
from .specs import (
    ESTIMATOR_LABELS,
    Coding,
    Hypothesis,
    Spec,
    aggregate_conflicts,
    check_circularity,
    circularity,
    codes,
    hypotheses,
    term_label,
)

__all__ = [
    "CAUTION",
    "COEF_COLUMNS",
    "CONTROLS_ONLY",
    "ESTIMATOR_LABELS",
    "Coding",
    "CommonSample",
    "Determinants",
    "Fit",
    "Hypothesis",
    "ModelResults",
    "Spec",
    "adjust_pvalues",
    "aggregate_conflicts",
    "answer_sentences",
    "average_marginal_effects",
    "ceiling_sentences",
    "check_circularity",
    "circularity",
    "codes",
    "collinearity_view",
    "common_sample",
    "contrast",
    "contrast_alt",
    "contrast_data",
    "contrast_figure_data",
    "curve_data",
    "contrast_plot",
    "curve_alt",
    "curve_prose",
    "curve_summary",
    "design",
    "determinants",
    "diagnostics_prose",
    "diagnostics_table",
    "equivalence_bound",
    "era_editions",
    "era_prose",
    "exploratory_prose",
    "figures",
    "fit_spec",
    "fit_specs",
    "format_p",
    "hypotheses",
    "hypotheses_prose",
    "hypotheses_table",
    "joint_name",
    "key_findings",
    "methods_prose",
    "mice_check",
    "mice_prose",
    "mice_view",
    "near_alt",
    "near_figure_data",
    "near_outcome_plot",
    "near_prose",
    "primary_table",
    "primary_view",
    "required_covariates",
    "residual_alt",
    "residual_data",
    "residual_plot",
    "residual_prose",
    "residual_table",
    "residual_view",
    "sample_prose",
    "side_by_side",
    "side_by_side_caption",
    "source_ids",
    "spec_curve_plot",
    "standardised_residuals",
    "term_label",
    "two_wave_prose",
    "vintage_table",
]
