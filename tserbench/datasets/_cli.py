"""``tserbench datasets list [--all] | info NAME | fetch NAME [--trust-unpinned]``."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the ``datasets`` command and its sub-commands."""
    parser = subparsers.add_parser("datasets", help="list, describe and fetch datasets")
    sub = parser.add_subparsers(dest="datasets_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    p_list = sub.add_parser("list", help="list the registered datasets (the TSER archive's in one line, unless --all)")
    p_list.add_argument("--all", action="store_true", help="one row per TSER archive dataset too")
    p_list.add_argument("--data-home", default=None, help="data home (default: $TSERBENCH_DATA or ~/.cache/tserbench)")
    p_list.set_defaults(func=_cmd_list)

    p_info = sub.add_parser("info", help="tags, citation and files of one dataset")
    p_info.add_argument("name", help="dataset name (see `tserbench datasets list`; archive names in any case)")
    p_info.add_argument("--data-home", default=None, help="data home (default: $TSERBENCH_DATA or ~/.cache/tserbench)")
    p_info.set_defaults(func=_cmd_info)

    p_fetch = sub.add_parser("fetch", help="download a dataset's files into the data home and verify them")
    p_fetch.add_argument("name", help="dataset name (see `tserbench datasets list`), a TSER archive name such as "
                         "AppliancesEnergy (any case), or tsml-eval-tser-results (the TSER archive's published "
                         "results, shown as rows on archive leaderboards)")
    p_fetch.add_argument("--data-home", default=None, help="data home (default: $TSERBENCH_DATA or ~/.cache/tserbench)")
    p_fetch.add_argument("--force", action="store_true", help="download again even if the files are present")
    p_fetch.add_argument("--trust-unpinned", action="store_true",
                         help="TSER archive datasets: accept a zip whose sha256 is not pinned in the manifest, print "
                              "its sha256 and record it in <folder>/SHA256SUMS for later fetches and loads to verify")
    p_fetch.set_defaults(func=_cmd_fetch, on_interrupt="files already verified are kept, a partial download "
                         "is deleted; re-run to fetch the rest")


def _console():
    from rich.console import Console

    return Console()


def _cmd_list(args: argparse.Namespace) -> int:
    from rich.table import Table

    from tserbench.datasets._registry import list_datasets
    from tserbench.datasets._tser_archive import archive_entries, archive_status

    table = Table(title="tserbench datasets")
    for col in ("name", "kind", "instances", "description", "citation"):
        table.add_column(col, overflow="fold")
    for info in list_datasets(include_archive=args.all):
        if info.kind == "archive":
            status = archive_status(info.name, args.data_home)
            fetched = "fetched" if status["present"] else "not fetched"
            table.add_row(info.name, info.kind, "?" if info.n_instances is None else str(info.n_instances),
                          f"TSER archive, {fetched}", "")
            continue
        n = "?" if info.n_instances is None else str(info.n_instances)
        table.add_row(info.name, info.kind, n, info.description, info.citation)
    console = _console()
    console.print(table)
    if not args.all:
        entries = [e for e in archive_entries() if not e.get("builtin")]
        fetched = [e["name"] for e in entries if archive_status(e["name"], args.data_home)["present"]]
        builtin = [f"{e['name']} (= {e['builtin']})" for e in archive_entries() if e.get("builtin")]
        line = (f"{len(archive_entries())} TSER archive datasets ({', '.join(builtin)}; "
                f"`tserbench datasets list --all` lists them, `tserbench datasets fetch <Name>` fetches one); "
                f"fetched: {', '.join(fetched) if fetched else 'none'}")
        console.print(line, soft_wrap=True)
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from rich.table import Table

    from tserbench._config import data_home
    from tserbench.datasets._fetch import dataset_manifest, file_status
    from tserbench.datasets._registry import dataset_info

    info = dataset_info(args.name)
    console = _console()
    n = "?" if info.n_instances is None else info.n_instances
    console.print(f"[bold]{info.name}[/bold]  ({info.kind}, {n} instances)")
    console.print(f"class:    {info.cls}")
    console.print(f"about:    {info.description}")
    console.print(f"cite:     {info.citation}")
    cls = info.load_class()
    class_tags = cls.get_class_tags()
    shown = ("n_instances", "n_splits", "is_univariate", "is_equal_length", "has_nans",
             "n_instances_train", "n_instances_test")
    # n_instances_train/test mean something only for a dataset with one train/test split (sktime
    # requires them as ints, so datasets with folds carry 0)
    split_tags = ("n_instances_train", "n_instances_test")
    single = class_tags.get("n_splits") == 1
    console.print("tags:     " + ", ".join(f"{k}={class_tags[k]}" for k in shown if k in class_tags
                                           and class_tags[k] is not None and (single or k not in split_tags)))
    if (class_tags.get("n_splits") or 0) > 1:
        console.print(f"split:    {class_tags['n_splits']} predefined folds, no single train/test split")
    if info.kind == "archive":
        return _archive_info(info.name, args.data_home, console)
    manifest = dataset_manifest(info.name)
    if manifest is None:
        console.print("files:    none to fetch (generated, or bundled with sktime)")
        return 0
    home = data_home(args.data_home)
    console.print(f"licence:  {manifest.get('licence', '?')}")
    console.print(f"folder:   {home / manifest['directory']}")
    table = Table()
    for col in ("file", "source", "bytes", "present", "sha256"):
        table.add_column(col, overflow="fold")
    rows = file_status(info.name, args.data_home)
    for row in rows:
        if row["present"]:
            where = "yes"
        elif row.get("corrupt"):
            where = "[red]corrupt (other checksum)[/red]"
        elif "bundled_copy" in row:
            where = "no (bundled copy used)"
        else:
            where = "[red]no[/red]"
        table.add_row(row["name"], row.get("source", "?"), str(row.get("size", "?")), where, row["sha256"][:16] + "…")
    console.print(table)
    missing = [r for r in rows if not r["present"] and "bundled_copy" not in r]
    if missing:
        console.print(f"fetch with: tserbench datasets fetch {info.name}")
    return 0


def _archive_info(name: str, data_home, console) -> int:
    from tserbench.datasets._tser_archive import SUMS, archive_entry, archive_status

    entry = archive_entry(name)
    status = archive_status(name, data_home)
    console.print(f"url:      {entry['url']}")
    console.print(f"sha256:   {entry['sha256'] or f'not pinned (trust on first use: fetch --trust-unpinned, recorded in {SUMS})'}")
    console.print(f"folder:   {status['folder']}")
    if status["present"]:
        console.print("present:  yes" + (f", verified against {SUMS}" if status["verified"] else f" (no {SUMS}: unverified)"))
    else:
        console.print(f"present:  no ({status['error']})", soft_wrap=True)
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from tserbench.datasets._fetch import fetch

    console = _console()
    folder = fetch(args.name, data_home=args.data_home, force=args.force, trust_unpinned=args.trust_unpinned,
                   progress=lambda msg: console.print(msg, soft_wrap=True))
    console.print(f"{args.name}: ready in {folder}")
    return 0
