"""``Covid3Month`` as an sktime dataset object.

sktime 1.2 ships the data and the loader (``load_covid_3month``) but no
dataset class for it (it has one for ``Tecator``); this is that class, written
like sktime's ``Tecator`` so it can be dropped once sktime provides one.
"""

from __future__ import annotations

from sktime.datasets import load_covid_3month
from sktime.datasets.regression._base import _RegressionDatasetFromLoader

__all__ = ["Covid3Month"]


class Covid3Month(_RegressionDatasetFromLoader):
    """COVID-19 death rate on 1 April 2020 from three months of daily confirmed cases.

    201 countries (140 train, 61 test), univariate series of length 84, from
    the Monash time-series extrinsic regression archive; data bundled with sktime.

    Examples
    --------
    >>> from tserbench.datasets import Covid3Month
    >>> X, y = Covid3Month().load("X", "y")
    >>> len(y)
    201

    References
    ----------
    Tan, C. W., Bergmeir, C., Petitjean, F. & Webb, G. I. 2021, Time series
    extrinsic regression, Data Min. Knowl. Discov. 35, 1032.
    """

    _tags = {
        "name": "covid_3month",
        "n_splits": 1,
        "is_univariate": True,
        "is_equal_length": True,
        "has_nans": False,
        "n_instances": 201,
        "n_instances_train": 140,
        "n_instances_test": 61,
    }

    loader_func = load_covid_3month
