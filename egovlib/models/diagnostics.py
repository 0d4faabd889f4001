"""OLS diagnostics: VIF, Breusch-Pagan, RESET and influential observations (Cook's distance)."""

from __future__ import annotations

import warnings as pywarnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.diagnostic import het_breuschpagan, linear_reset
from statsmodels.stats.outliers_influence import OLSInfluence, variance_inflation_factor

from ..countries import country_name
from ..errors import EgovError


def ols_diagnostics(y: pd.Series, X: pd.DataFrame) -> dict:
    """Diagnostics of an OLS fit of ``y`` on ``X`` (``X`` with a ``const`` column).

    Returns
    -------
    dict
        ``vif``: DataFrame ``term, vif`` (above 10 = strong collinearity);
        ``breusch_pagan``: ``{"lm": ..., "p": ...}`` (small p = heteroskedastic errors, which the
        HC3 errors allow for); ``reset``: ``{"f": ..., "p": ...}`` (Ramsey RESET with squared and
        cubed fitted values; small p = misspecified functional form); ``influential``: DataFrame
        ``iso3, country, cooks_d, residual`` of observations with Cook's distance above 4/n,
        largest first; ``cooks_threshold``.
    """
    res = sm.OLS(y, X).fit()
    arr = X.to_numpy()
    with np.errstate(divide="ignore"):
        vif = pd.DataFrame(
            {
                "term": [c for c in X.columns if c != "const"],
                "vif": [
                    variance_inflation_factor(arr, i)
                    for i, c in enumerate(X.columns)
                    if c != "const"
                ],
            }
        )
    lm, lm_p, _, _ = het_breuschpagan(res.resid, X)
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore")
        try:
            reset = linear_reset(res, power=3, use_f=True)
            reset_out = {"f": float(np.squeeze(reset.fvalue)), "p": float(reset.pvalue)}
        except (ValueError, np.linalg.LinAlgError):
            reset_out = {"f": np.nan, "p": np.nan}
    cooks = OLSInfluence(res).cooks_distance[0]
    threshold = 4 / len(y)
    iso3 = y.index.get_level_values("iso3")
    infl = pd.DataFrame(
        {"iso3": iso3, "cooks_d": np.asarray(cooks), "residual": res.resid.to_numpy()}
    )
    infl = infl[infl["cooks_d"] > threshold].sort_values("cooks_d", ascending=False)
    infl.insert(1, "country", [display_name(i) for i in infl["iso3"]])
    return {
        "vif": vif,
        "breusch_pagan": {"lm": float(lm), "p": float(lm_p)},
        "reset": reset_out,
        "influential": infl.reset_index(drop=True),
        "cooks_threshold": threshold,
    }


def display_name(iso3: str) -> str:
    """Country name for reports.

    The code itself for codes outside the country table (simulated data).
    """
    try:
        return country_name(iso3)
    except EgovError:
        return str(iso3)
