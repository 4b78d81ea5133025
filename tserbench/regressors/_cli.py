"""``tserbench models`` and ``tserbench predict``: thin commands over the regressors API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the ``models`` and ``predict`` sub-commands."""
    p = subparsers.add_parser(
        "models",
        help="list the models of the registry",
        description=(
            "List the built-in models and the installed plug-ins (entry points of group "
            "'tserbench.regressors'). Any sktime regressor can also be named by dotted path."
        ),
    )
    p.add_argument("--no-plugins", action="store_true", help="list only the built-in models")
    p.set_defaults(func=_models)

    p = subparsers.add_parser(
        "predict",
        help="predict [Fe/H] for light curves with a saved model directory",
        description=(
            "Read light curves, preprocess them as the model's training data and predict [Fe/H] "
            "with every model in the directory. With several (fold) models the output has "
            "source_id,feh_pred,feh_std,n_models (mean and standard deviation across models); "
            "with one: source_id,feh_pred. Unusable stars are reported on stderr and skipped."
        ),
    )
    p.add_argument("--model", required=True, metavar="DIR", help="saved model directory (manifest.json)")
    p.add_argument(
        "--input",
        required=True,
        nargs="+",
        metavar="FILE",
        help="dg22: <source_id>_bin.dat files and/or .tar.gz archives of them; gaia: epoch photometry CSV(s)",
    )
    p.add_argument("-o", "--output", required=True, metavar="OUT.csv", help="where to write the predictions")
    p.add_argument(
        "--format",
        choices=("dg22", "gaia"),
        default=None,
        help="input format (default: gaia if --rrlyrae is given, else dg22)",
    )
    p.add_argument("--rrlyrae", metavar="CSV", help="gaia: Gaia DR3 vari_rrlyrae CSV (source_id, pf, epoch_g)")
    p.add_argument("--periods", metavar="CSV", help="dg22: CSV with columns source_id,period (days)")
    p.set_defaults(func=_predict)


def _models(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from tserbench.regressors._registry import list_models

    table = Table(title="tserbench models")
    table.add_column("name", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("raw", no_wrap=True)  # accepts the unequal-length raw variant
    table.add_column("class", overflow="fold")
    table.add_column("description", overflow="fold")
    for info in list_models(include_plugins=not args.no_plugins):
        cls_name = info.cls_path.rsplit(".", 1)[-1]
        table.add_row(info.name, info.kind, "yes" if info.unequal_length else "no", cls_name, info.description)
    console = Console(width=None if sys.stdout.isatty() else 120)
    console.print(table)
    console.print(
        "Also accepted by --models: a dotted path to any sktime regressor "
        "(e.g. sktime.regression.kernel_based.RocketRegressor)."
    )
    return 0


def _predict(args: argparse.Namespace) -> int:
    from tserbench._io import atomic_write_csv
    from tserbench.exceptions import ConfigError, DataError
    from tserbench.regressors._saved import load_model_dir, predict_light_curves

    fmt = args.format or ("gaia" if args.rrlyrae else "dg22")
    loaded = load_model_dir(args.model)  # first: a bad model dir fails before reading data
    if fmt == "gaia":
        if not args.rrlyrae:
            raise ConfigError("--format gaia needs --rrlyrae CSV (the vari_rrlyrae table with pf and epoch_g)")
        if args.periods:
            raise ConfigError("--periods is only used with --format dg22 (gaia periods come from --rrlyrae)")
        lcs, rejections = _read_gaia(args.input, args.rrlyrae)
    else:
        if args.rrlyrae:
            raise ConfigError("--rrlyrae is only used with --format gaia")
        if not args.periods:
            raise ConfigError("--format dg22 needs --periods CSV (source_id,period): the .dat files hold no period")
        lcs, rejections = _read_dg22_inputs(args.input, args.periods)

    result = predict_light_curves(loaded, lcs, errors="skip") if len(lcs) else None
    if result is not None:
        rejections = list(rejections) + list(result.attrs.get("rejections", []))
    for rej in rejections:
        print(f"tserbench: skipped {rej}", file=sys.stderr)
    if result is None or result.empty:
        raise DataError(f"no valid light curve to predict ({len(rejections)} rejected)", path=", ".join(args.input))
    out = Path(args.output)
    atomic_write_csv(out, result)
    print(f"wrote {len(result)} prediction(s) to {out}" + (f"; {len(rejections)} star(s) skipped" if rejections else ""))
    return 0


def _read_gaia(inputs: list[str], rrlyrae: str):
    from tserbench.data._lightcurves import LightCurves
    from tserbench.data.gaia import read_gaia_epoch_photometry

    parts, rejections = [], []
    for path in inputs:
        lcs, rej = read_gaia_epoch_photometry(path, rrlyrae, errors="skip")
        parts.append(lcs)
        rejections.extend(rej)
    if len(parts) == 1:
        return parts[0], rejections
    import numpy as np

    return (
        LightCurves(
            source_id=np.concatenate([p.source_id for p in parts]).astype(np.int64),
            phase=[x for p in parts for x in p.phase],
            mag=[x for p in parts for x in p.mag],
            period=np.concatenate([p.period for p in parts]),
        ),
        rejections,
    )


_DG22_SUFFIX = "_bin.dat"


def _read_dg22_inputs(inputs: list[str], periods_csv: str):
    """Read standalone DG22-format light curves: ``<source_id>_bin.dat`` files and/or tarballs of them.

    ``tserbench.data.read_dg22`` reads the whole published dataset; this reads
    arbitrary files of the same format (phase mag, phases in [0, 2), the second
    cycle a copy of the first) with periods from a ``source_id,period`` CSV.
    Bad stars become rejections (star, reason, file); a missing or unreadable
    input file or period table is a :class:`DataError`.
    """
    import tarfile
    import zlib

    import numpy as np

    from tserbench.data._lightcurves import Rejection, merge_duplicate_phases, parse_source_id, validate_batch
    from tserbench.data.dg22 import read_period_table
    from tserbench.exceptions import DataError, LightCurveError

    periods = read_period_table(periods_csv)
    members: list[tuple[str, str, bytes]] = []  # (id text, where, bytes)
    for name in inputs:
        path = Path(name)
        if not path.is_file():
            raise DataError("input file not found", path=path)
        if name.endswith((".tar.gz", ".tgz", ".tar")):
            try:
                with tarfile.open(path, mode="r:*") as tf:
                    for member in tf:
                        base = member.name.rsplit("/", 1)[-1]
                        if member.isfile() and base.endswith(_DG22_SUFFIX):
                            fh = tf.extractfile(member)
                            members.append((base[: -len(_DG22_SUFFIX)], f"{path}:{member.name}", fh.read()))
            except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
                raise DataError(f"corrupt or truncated archive ({type(exc).__name__}: {exc})", path=path) from None
        else:
            if not path.name.endswith(_DG22_SUFFIX):
                raise DataError(f"DG22-format files are named <source_id>{_DG22_SUFFIX}", path=path)
            members.append((path.name[: -len(_DG22_SUFFIX)], str(path), path.read_bytes()))

    rejections: list = []
    ids, phases, mags, pers, wheres = [], [], [], [], []
    for sid_text, where, data in members:
        try:
            sid = parse_source_id(sid_text, path=where)
            try:
                values = np.array(data.split(), dtype=np.float64)
            except ValueError:
                raise LightCurveError(sid, "light curve holds a non-numeric value", path=where) from None
            if values.size % 2:
                raise LightCurveError(sid, "light curve does not have two columns (phase mag)", path=where)
            values = values.reshape(-1, 2)
            if int(sid) not in periods.index:
                raise LightCurveError(sid, f"no period for this star in {periods_csv}", path=where)
        except LightCurveError as exc:
            rejections.append(Rejection(source_id=str(exc.source_id), reason=exc.reason, path=where))
            continue
        keep = values[:, 0] < 1.0  # the second cycle repeats the first (+1)
        phase, mag, _ = merge_duplicate_phases(values[keep, 0], values[keep, 1])
        ids.append(sid)
        phases.append(phase)
        mags.append(mag)
        pers.append(periods.loc[int(sid)])
        wheres.append(where)
    lcs, rejected = validate_batch(ids, phases, mags, pers, paths=wheres, errors="skip")
    return lcs, rejections + rejected
