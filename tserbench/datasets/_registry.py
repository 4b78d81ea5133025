"""Registry of the datasets tserbench knows by name.

A dataset name is looked up in this order:

1. a **built-in name** (``rrab-gaia-dg22``, ``rrab-synthetic``, ``tecator``,
   ``covid3month``);
2. a **TSER archive name** from ``datasets/tser_archive.json`` (63 names,
   matched case-insensitively: ``AppliancesEnergy``, ``appliancesenergy``),
   read from ``<data home>/tser_archive/<Name>/`` once fetched; the archive's
   ``Covid3Month`` is the built-in ``covid3month``;
3. the name of an **entry point** in the group ``tserbench.datasets``
   declared by an installed package, whose value (``"module:Obj"``) is an
   sktime dataset class or a :class:`DatasetInfo`.  Built-in and archive
   names cannot be shadowed: such an entry point is ignored.

Plug-ins are imported only when one is asked for by name or when all are
listed; :func:`clear_registry_cache` forgets the ones loaded.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tserbench._renamed import rename_keys
from tserbench.exceptions import ConfigError

__all__ = [
    "ENTRY_POINT_GROUP",
    "DatasetInfo",
    "get_dataset",
    "list_datasets",
    "dataset_info",
    "clear_registry_cache",
    "upgrade_params",
]

#: Entry-point group that third-party packages use to register datasets.
ENTRY_POINT_GROUP = "tserbench.datasets"


@dataclass(frozen=True)
class DatasetInfo:
    """What the registry knows about one dataset.

    Parameters
    ----------
    name : str
        Registry name (``rrab-gaia-dg22``, ...).
    cls : str
        Dotted path of the sktime dataset class (``package.module.Class`` or
        ``package.module:Class``).
    n_instances : int or None
        Number of instances with default parameters (None: not known before loading).
    kind : str
        ``"real"``, ``"synthetic"``, ``"archive"`` (a TSER archive dataset,
        fetched on demand) or ``"plugin"`` (entry point of an installed package).
    description : str
        One line.
    citation : str
        Reference to cite when using it.
    manifest : str or None
        Manifest file (in ``tserbench.manifests``) of a dataset with files to fetch.
    params : Mapping
        Constructor parameters that :func:`get_dataset` passes for this name
        (an archive dataset's ``name``); explicit parameters override them.
    instance_noun, instances_noun : str
        What one instance is called on its leaderboards ("star", "series").
    target_label, target_unit : str
        The target's name and unit on axes and in text ("[Fe/H]", "dex").
    """

    name: str
    cls: str
    n_instances: int | None
    kind: str
    description: str
    citation: str
    manifest: str | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    instance_noun: str = "series"
    instances_noun: str = "series"
    target_label: str = "target"
    target_unit: str = ""

    def load_class(self) -> type:
        """Import and return the dataset class.

        Raises
        ------
        ConfigError
            The class cannot be imported (a plug-in's broken dotted path).
        """
        if ":" in self.cls:
            module, _, attr = self.cls.partition(":")
        else:
            module, _, attr = self.cls.rpartition(".")
        try:
            obj = importlib.import_module(module)
        except ImportError as exc:
            raise ConfigError(f"dataset {self.name!r}: cannot import module {module!r} ({exc})") from None
        for part in attr.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise ConfigError(f"dataset {self.name!r}: module {module!r} has no attribute {attr!r}") from None
        return obj


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


_HOW_TO_PLUG_IN = (
    "or give the path of a Name_TRAIN.ts file, "
    f"or install a package that declares an entry point in group '{ENTRY_POINT_GROUP}'"
)

# entry-point name -> DatasetInfo, for the plug-ins loaded so far (see clear_registry_cache)
_PLUGINS: dict[str, DatasetInfo] = {}


def clear_registry_cache() -> None:
    """Forget the plug-in datasets loaded so far (they are looked up again on next use)."""
    _PLUGINS.clear()


def _archive_entry(name: str) -> dict | None:
    from tserbench.datasets._tser_archive import archive_entry

    return archive_entry(name)


def _archive_info(entry: dict) -> DatasetInfo:
    if entry.get("builtin"):
        return _REGISTRY[entry["builtin"]]
    from tserbench.datasets._tser_archive import archive_manifest

    return DatasetInfo(
        name=entry["name"],
        cls="tserbench.datasets._tsfile.TSERArchiveDataset",
        n_instances=entry.get("n_instances"),
        kind="archive",
        description=f"TSER archive dataset (fetch: tserbench datasets fetch {entry['name']})",
        citation=archive_manifest()["citation"],
        params=MappingProxyType({"name": entry["name"]}),
    )


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    """Installed entry points of the group, by name (built-in and archive names win)."""
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return {ep.name: ep for ep in eps if ep.name not in _REGISTRY and _archive_entry(ep.name) is None}


def _first_line(text: str | None) -> str:
    for line in (text or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def _plugin_info(ep: importlib.metadata.EntryPoint) -> DatasetInfo:
    """The :class:`DatasetInfo` of an entry point, loading it (once; see :func:`clear_registry_cache`)."""
    if ep.name in _PLUGINS:
        return _PLUGINS[ep.name]
    try:
        obj = ep.load()
    except Exception as exc:  # a broken plug-in must not crash the harness with a traceback
        raise ConfigError(
            f"dataset {ep.name!r}: entry point {ep.value!r} failed to load: {type(exc).__name__}: {exc}"
        ) from None
    if isinstance(obj, DatasetInfo):
        info = obj if obj.name == ep.name else dataclasses.replace(obj, name=ep.name)
    else:
        from sktime.datasets.base import BaseDataset

        if not (inspect.isclass(obj) and issubclass(obj, BaseDataset)):
            raise ConfigError(
                f"dataset {ep.name!r}: entry point {ep.value!r} is {obj!r}, neither an sktime dataset class "
                "(a subclass of sktime.datasets.base.BaseDataset) nor a tserbench.datasets.DatasetInfo"
            )
        n = obj.get_class_tag("n_instances", None)
        info = DatasetInfo(
            name=ep.name,
            cls=f"{obj.__module__}:{obj.__qualname__}",
            n_instances=n if isinstance(n, int) else None,
            kind="plugin",
            description=_first_line(obj.__doc__) or f"entry point of {_dist_name(ep)}",
            citation=str(getattr(obj, "citation", "") or ""),
        )
    _PLUGINS[ep.name] = info
    return info


def _dist_name(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) or "an installed package"


def dataset_info(name: str) -> DatasetInfo:
    """Registry entry of ``name`` (built-in, TSER archive or entry point); :class:`ConfigError` if unknown.

    Parameters
    ----------
    name : str
        See the module docstring for the order names are looked up in.

    Returns
    -------
    DatasetInfo

    Raises
    ------
    ConfigError
        Unknown name (the message lists the known ones), or an entry point
        that fails to load or is not a dataset.
    """
    if not isinstance(name, str) or not name:
        raise ConfigError(f"dataset name must be a non-empty string, got {name!r}")
    if name in _REGISTRY:
        return _REGISTRY[name]
    entry = _archive_entry(name)
    if entry is not None:
        return _archive_info(entry)
    eps = _entry_points()
    if name in eps:
        return _plugin_info(eps[name])
    from tserbench._names import did_you_mean
    from tserbench.datasets._tser_archive import archive_entries

    known = list(_REGISTRY) + sorted(eps)
    hint = did_you_mean(name, known + [e["name"] for e in archive_entries()])
    raise ConfigError(
        f"unknown dataset {name!r}; {hint + ' ' if hint else ''}"
        f"choose one of {', '.join(known)}, or one of the 63 TSER archive datasets "
        f"(tserbench datasets list --all), {_HOW_TO_PLUG_IN}"
    )


def list_datasets(*, include_archive: bool = False, include_plugins: bool = True) -> list[DatasetInfo]:
    """The registered datasets: built-in, then (optionally) the TSER archive's, then plug-ins.

    Parameters
    ----------
    include_archive : bool, default=False
        Also list the TSER archive's datasets (Covid3Month, the built-in
        ``covid3month``, is not listed twice).
    include_plugins : bool, default=True
        Also list (and so load) entry points of group ``tserbench.datasets``.

    Returns
    -------
    list of DatasetInfo
    """
    out = list(_REGISTRY.values())
    if include_archive:
        from tserbench.datasets._tser_archive import archive_entries

        out += [_archive_info(e) for e in archive_entries() if not e.get("builtin")]
    if include_plugins:
        out += [_plugin_info(ep) for _, ep in sorted(_entry_points().items())]
    return out


def get_dataset(name: str, **params):
    """Instantiate dataset ``name`` with ``params`` (an sktime ``BaseDataset``).

    A parameter's old name (a dataset class lists its renamed parameters in
    ``_renamed_params``: ``rrab-synthetic``'s ``seed`` is ``random_state``
    now) is taken under its new name, with a :class:`FutureWarning`.

    Examples
    --------
    >>> from tserbench.datasets import get_dataset
    >>> ds = get_dataset("rrab-synthetic", n_stars=30)
    >>> ds.get_tag("n_instances")
    30
    """
    info = dataset_info(name)
    cls = info.load_class()
    params = upgrade_params(name, params, warn=True)
    try:
        return cls(**{**info.params, **params})
    except (TypeError, ValueError) as exc:  # an unknown parameter, or one of the wrong type or range
        raise ConfigError(f"dataset {name!r}: {exc}") from None


def upgrade_params(dataset, params: Mapping[str, Any], *, warn: bool = False) -> dict[str, Any]:
    """``params`` of ``dataset`` under the names its class takes now (its ``_renamed_params``: old -> new).

    Run records (``run.json``'s ``dataset_params``, a study's settings) keep
    the names they were written with; comparing an old record with a new run
    goes through this, so renaming a dataset parameter does not make an old
    store or study "another run".

    Parameters
    ----------
    dataset : str or object
        Registry name, or anything else (a dataset object, a ``.ts`` path, a
        name no longer installed): then ``params`` come back as they are.
    params : mapping
    warn : bool, default=False
        Warn (:class:`FutureWarning`) for each old name: True where a user
        gave them, False where they are read from a record.

    Raises
    ------
    ConfigError
        If an old name and its new name are both given.
    """
    params = dict(params or {})
    if not params or not isinstance(dataset, str):
        return params
    try:
        cls = dataset_info(dataset).load_class()
    except ConfigError:  # not a registry name (a .ts path, an uninstalled plug-in): nothing to map
        return params
    try:
        return rename_keys(params, getattr(cls, "_renamed_params", {}), owner=f"dataset {dataset!r}", warn=warn,
                           stacklevel=2)
    except TypeError as exc:  # both names given: a configuration error, like an unknown parameter
        raise ConfigError(str(exc)) from None
