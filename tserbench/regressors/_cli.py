"""``tserbench models`` and ``tserbench predict``: thin commands over the regressors API."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

__all__ = ["register", "SECURITY_NOTE"]

#: what ``predict --help`` says about loading saved models (the README says the same)
SECURITY_NOTE = (
    "Deep models are saved in a format that cannot run code (the network as .keras, loaded with Keras' "
    "safe_mode, its settings as JSON) and load as they are. Classical models are pickles, which can run any "
    "code: they load only with --trust-pickle, which you should give only for files you made yourself."
)


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
        help="predict [Fe/H] for light curves with DG22's published model or a saved model directory",
        description=(
            "Read light curves, preprocess them as the model's training data and predict [Fe/H] "
            "with every model in the directory. With several (fold) models the output has "
            "source_id,feh_pred,feh_std,n_models (mean and standard deviation across models); "
            "with one: source_id,feh_pred. Unusable stars are reported on stderr and skipped. "
            "--model dg22 is Dekany & Grebel (2022)'s published 10-fold ensemble, read from the data "
            "home (tserbench datasets fetch rrab-gaia-dg22): no training needed. "
            f"{SECURITY_NOTE}"
        ),
    )
    p.add_argument(
        "--model",
        required=True,
        metavar="DIR|dg22",
        help="saved model directory (manifest.json), or 'dg22' for DG22's published fold models "
        "(a directory named dg22 is given as ./dg22)",
    )
    p.add_argument(
        "--input",
        required=True,
        nargs="+",
        metavar="FILE",
        help="dg22: <source_id>_bin.dat files and/or .tar.gz archives of them; gaia: epoch photometry CSV(s)",
    )
    p.add_argument("-o", "--output", default=None, metavar="OUT.csv",
                   help="where to write the predictions (default: standard output)")
    p.add_argument(
        "--format",
        choices=("dg22", "gaia"),
        default=None,
        help="input format (default: gaia if --rrlyrae is given, else dg22)",
    )
    p.add_argument("--rrlyrae", metavar="CSV", help="gaia: Gaia DR3 vari_rrlyrae CSV (source_id, pf, epoch_g)")
    p.add_argument("--periods", metavar="CSV", help="dg22: CSV with columns source_id,period (days)")
    p.add_argument("--data-home", default=None,
                   help="where --model dg22 is read from (default: $TSERBENCH_DATA or the user cache)")
    p.add_argument("--trust-pickle", action="store_true",
                   help="load a saved model directory's pickled (classical) estimators. RISK: unpickling runs "
                        "whatever code the file's author put in it, and its checksum proves nothing about that "
                        "author: use only model directories you made yourself (not needed for deep models, saved "
                        "as .keras + JSON, nor for --model dg22)")
    p.set_defaults(func=_predict, on_interrupt="no predictions were written; re-run the command")


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
    from tserbench.regressors._predict import predict_light_curves
    from tserbench.regressors._saved import load_model_dir

    if args.output is not None and Path(args.output).is_dir():
        raise ConfigError(f"-o {args.output}: a folder; give the CSV file to write")
    fmt = args.format or ("gaia" if args.rrlyrae else "dg22")
    # first: a bad or missing model fails before any data is read
    if args.model == "dg22":
        from tserbench.regressors.dg22_published import published_model

        loaded = published_model(args.data_home)
    else:
        loaded = load_model_dir(args.model, trust_pickle=args.trust_pickle)
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
    for line in group_rejections(rejections):
        print(f"tserbench: skipped {line}", file=sys.stderr)
    if result is None or result.empty:
        raise DataError(f"no valid light curve to predict ({len(rejections)} rejected)", path=", ".join(args.input))
    done = f"{len(result)} prediction(s)" + (f"; {len(rejections)} star(s) skipped" if rejections else "")
    if args.output is None:
        sys.stdout.write(result.to_csv(index=False, lineterminator="\n"))
        print(f"tserbench: {done}", file=sys.stderr)
        return 0
    out = Path(args.output)
    atomic_write_csv(out, result)
    print(f"wrote {done} to {out}")
    return 0


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def group_rejections(rejections, *, examples: int = 3) -> list[str]:
    """One line per reason: how many stars, the reason, a few example ids (not one line per star).

    Reasons that differ only in their numbers (``only 5 points`` / ``only 7
    points``) are one group, shown with its first star's wording.  A group of
    one star keeps the full line, with its file.

    Parameters
    ----------
    rejections : sequence of Rejection
    examples : int, default=3
        Example ids shown per group.

    Returns
    -------
    list of str
        In order of first appearance.
    """
    groups: dict[str, list] = {}
    for rej in rejections:
        groups.setdefault(_NUMBER.sub("#", rej.reason), []).append(rej)
    lines = []
    for members in groups.values():
        if len(members) == 1:
            lines.append(str(members[0]))
            continue
        ids = ", ".join(str(r.source_id) for r in members[:examples])
        more = ", ..." if len(members) > examples else ""
        files = sorted({r.path.split(":", 1)[0] for r in members if r.path})
        where = f"; in {', '.join(files[:2])}{', ...' if len(files) > 2 else ''}" if files else ""
        varied = " (numbers vary)" if len({r.reason for r in members}) > 1 else ""
        lines.append(f"{len(members)} stars: {members[0].reason}{varied} (e.g. {ids}{more}{where})")
    return lines


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
    from tserbench.data._archive import read_tar_members
    from tserbench.data._lightcurves import Rejection, parse_source_id, validate_batch
    from tserbench.data.dg22 import parse_dg22_member, read_period_table
    from tserbench.exceptions import DataError, LightCurveError

    periods = read_period_table(periods_csv)
    members: list[tuple[str, str, bytes]] = []  # (id text, where, bytes)
    for name in inputs:
        path = Path(name)
        if not path.is_file():
            raise DataError("input file not found", path=path)
        if name.endswith((".tar.gz", ".tgz", ".tar")):
            # read whole and verified (gzip CRC and length, every header, size caps):
            # a damaged archive is an error, never half a result
            members += [(key, f"{path}:{member}", data)
                        for key, member, data in read_tar_members(path, suffix=_DG22_SUFFIX)]
        else:
            if not path.name.endswith(_DG22_SUFFIX):
                raise DataError(f"DG22-format files are named <source_id>{_DG22_SUFFIX}", path=path)
            members.append((path.name[: -len(_DG22_SUFFIX)], str(path), path.read_bytes()))

    rejections: list = []
    ids, phases, mags, pers, wheres = [], [], [], [], []
    for sid_text, where, data in members:
        try:
            sid = parse_source_id(sid_text, path=where)
            # as DG22 read them: the first cycle, repeated (rounded) phases kept
            phase, mag, _ = parse_dg22_member(data, sid, where)
            if int(sid) not in periods.index:
                raise LightCurveError(sid, f"no period for this star in {periods_csv}", path=where)
        except LightCurveError as exc:
            rejections.append(Rejection(source_id=str(exc.source_id), reason=exc.reason, path=where))
            continue
        ids.append(sid)
        phases.append(phase)
        mags.append(mag)
        pers.append(periods.loc[int(sid)])
        wheres.append(where)
    lcs, rejected = validate_batch(ids, phases, mags, pers, paths=wheres, errors="skip", allow_duplicate_phases=True)
    return lcs, rejections + rejected
