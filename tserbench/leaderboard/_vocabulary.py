"""The words a leaderboard uses for its dataset: what an instance is, what the target is, what a split is.

An RRab leaderboard talks of stars and [Fe/H] in dex; a Covid3Month one of
series and the death rate; a run under the archive's protocols of
resamples, not folds.  The dataset registry declares the nouns
(:class:`~tserbench.datasets.DatasetInfo`); a dataset it does not know (a
``.ts`` path, a plain sktime object) gets the neutral "series" and "target".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Vocabulary", "vocabulary", "headline"]


@dataclass(frozen=True)
class Vocabulary:
    """Nouns of one leaderboard."""

    instance: str = "series"
    instances: str = "series"
    target: str = "target"
    unit: str = ""
    split: str = "fold"
    splits: str = "folds"

    def axis(self, text: str) -> str:
        """``text`` with the target's unit, e.g. ``"true [Fe/H] [dex]"``."""
        return f"{text} [{self.unit}]" if self.unit else text

    def to_dict(self) -> dict:
        return asdict(self)


def _is_archive_protocol(protocol: str | None) -> bool:
    """``fixed`` or ``resamples:N`` (the archive's protocols, as :func:`archive.n_resamples_of` knows them)."""
    from tserbench.leaderboard.archive import n_resamples_of

    return n_resamples_of(protocol) is not None


def vocabulary(dataset: str | None, protocol: str | None = None) -> Vocabulary:
    """The nouns of a leaderboard of ``dataset`` under ``protocol``."""
    from tserbench.datasets._registry import _REGISTRY

    info = _REGISTRY.get(dataset or "")
    words = {}
    if info is not None:
        words = {"instance": info.instance_noun, "instances": info.instances_noun, "target": info.target_label,
                 "unit": info.target_unit}
    if _is_archive_protocol(protocol):
        words.update(split="resample", splits="resamples")
    return Vocabulary(**words)


_SPREAD = ("fold <metric> mean ± SD (leaderboard.json mean/std): mean and sample SD (ddof=1) over the "
           "per-fold values. ")


def headline(vocab: Vocabulary, protocol: str | None) -> str:
    """How the headline metrics of a leaderboard are computed, in its own words."""
    tail = ("train: mean over the jobs' training-set metrics. Unweighted unless the row says otherwise. "
            "wrmse/wmae need weights the OOF files do not carry: for harness rows they are the mean over "
            "the runner's job records.")
    if _is_archive_protocol(protocol):
        return ("val: the test-set metric of each resample (resample 0: the dataset's own train/test split; "
                "resample r: tsml-eval's reshuffle with random_state=r), averaged over resamples; "
                "resample <metric> mean ± SD (leaderboard.json mean/std): mean and sample SD (ddof=1) over "
                "the resamples' values. " + tail)
    if vocab.instance == "star" and protocol == "predefined":  # the RRab sets on DG22's folds
        return ("val <metric> (pooled; leaderboard.json value): the out-of-fold metric over all stars of a "
                "repeat at once, averaged over repeats (DG22 predefined folds: one repeat, every star once); "
                + _SPREAD + tail)
    return (f"val <metric> (pooled; leaderboard.json value): the out-of-fold metric over all {vocab.instances} "
            f"of a repeat at once, averaged over repeats (each {vocab.instance} predicted once per repeat); "
            + _SPREAD + tail)

