"""Registry of the datasets tserbench knows by name."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from tserbench.exceptions import ConfigError

__all__ = ["DatasetInfo", "get_dataset", "list_datasets", "dataset_info"]


@dataclass(frozen=True)
class DatasetInfo:
    """What the registry knows about one dataset.

    Parameters
    ----------
    name : str
        Registry name (``rrab-gaia-dg22``, ...).
    cls : str
        Dotted path of the sktime dataset class.
    n_instances : int
        Number of instances with default parameters.
    kind : str
        ``"real"`` or ``"synthetic"``.
    description : str
        One line.
    citation : str
        Reference to cite when using it.
    manifest : str or None
        Manifest file (in ``tserbench.manifests``) of a dataset with files to fetch.
    instance_noun, instances_noun : str
        What one instance is called on its leaderboards ("star", "series").
    target_label, target_unit : str
        The target's name and unit on axes and in text ("[Fe/H]", "dex").
    """

    name: str
    cls: str
    n_instances: int
    kind: str
    description: str
    citation: str
    manifest: str | None = None
    instance_noun: str = "series"
    instances_noun: str = "series"
    target_label: str = "target"
    target_unit: str = ""

    def load_class(self) -> type:
        """Import and return the dataset class."""
        module, _, attr = self.cls.rpartition(".")
        return getattr(importlib.import_module(module), attr)


_RRAB_WORDS = {"instance_noun": "star", "instances_noun": "stars", "target_label": "[Fe/H]", "target_unit": "dex"}

_REGISTRY: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            name="rrab-gaia-dg22",
            cls="tserbench.datasets._rrab.RRabGaiaDG22",
            n_instances=4458,
            kind="real",
            description="RRab [Fe/H] from Gaia DR2 G light curves + period; DG22's 10 folds",
            citation="Dékány, I. & Grebel, E. K. 2022, ApJS 261, 33",
            manifest="dekany2022_gaia_g.json",
            **_RRAB_WORDS,
        ),
        DatasetInfo(
            name="rrab-synthetic",
            cls="tserbench.datasets._rrab.RRabSynthetic",
            n_instances=1000,
            kind="synthetic",
            description="synthetic RRab [Fe/H] (Jurcsik & Kovács 1996 φ31 relation), Gaia-like sampling; 5 folds",
            citation="tserbench; relations of Jurcsik & Kovács 1996, A&A 312, 111 and Sandage 1993, AJ 106, 719",
            **_RRAB_WORDS,
        ),
        DatasetInfo(
            name="tecator",
            cls="sktime.datasets.regression.Tecator",
            n_instances=215,
            kind="real",
            description="fat content of meat from NIR absorbance spectra (sktime's bundled copy)",
            citation="Borggaard, C. & Thodberg, H. H. 1992, Analytical Chemistry 64, 545",
            instance_noun="spectrum", instances_noun="spectra", target_label="fat content", target_unit="%",
        ),
        DatasetInfo(
            name="covid3month",
            cls="tserbench.datasets._covid.Covid3Month",
            n_instances=201,
            kind="real",
            description="COVID-19 death rate from 3 months of daily cases (data bundled with sktime)",
            citation="Tan, C. W. et al. 2021, Data Min. Knowl. Discov. 35, 1032 (Monash TSER archive)",
            instance_noun="country", instances_noun="countries", target_label="death rate",
        ),
    )
}


def dataset_info(name: str) -> DatasetInfo:
    """Registry entry of ``name``; :class:`ConfigError` listing the names if unknown."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown dataset {name!r}; choose one of {', '.join(_REGISTRY)}") from None


def list_datasets() -> list[DatasetInfo]:
    """All registered datasets."""
    return list(_REGISTRY.values())


def get_dataset(name: str, **params):
    """Instantiate dataset ``name`` with ``params`` (an sktime ``BaseDataset``).

    Examples
    --------
    >>> from tserbench.datasets import get_dataset
    >>> ds = get_dataset("rrab-synthetic", n_stars=30)
    >>> ds.get_tag("n_instances")
    30
    """
    cls = dataset_info(name).load_class()
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:  # an unknown parameter, or one of the wrong type or range
        raise ConfigError(f"dataset {name!r}: {exc}") from None
