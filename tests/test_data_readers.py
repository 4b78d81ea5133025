"""Readers of tserbench.data: validation, DG22 archive, Gaia DR3 epoch photometry, synthetic."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from tserbench.data import (
    LightCurves,
    Rejection,
    make_synthetic_rrab,
    read_dg22,
    read_gaia_epoch_photometry,
    validate_batch,
    validate_light_curve,
)
from tserbench.exceptions import ChecksumError, ConfigError, DataError, LightCurveError

BIG_ID = 5969331679020096384  # > 2**53: a float would change it


def _good(n=20):
    phase = np.linspace(0.0, 1.0, n, endpoint=False)
    return phase, 15.0 + 0.3 * np.sin(2 * np.pi * phase)


# --------------------------------------------------------------------------- validation
def test_validate_accepts_good_curve():
    phase, mag = _good()
    validate_light_curve(BIG_ID, phase[::-1], mag[::-1], 0.55)  # order does not matter


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda p, m, per, sid: (p, np.r_[m[:-1], np.nan], per, sid), "non-finite mag"),
        (lambda p, m, per, sid: (p, np.r_[m[:-1], np.inf], per, sid), "non-finite mag"),
        (lambda p, m, per, sid: (np.r_[p[:-1], np.nan], m, per, sid), "non-finite phase"),
        (lambda p, m, per, sid: (p[:9], m[:9], per, sid), "only 9 points"),
        (lambda p, m, per, sid: (np.r_[p[:-1], p[3]], m, per, sid), "duplicate phase"),
        (lambda p, m, per, sid: (np.r_[p[:-1], 1.0], m, per, sid), "outside"),
        (lambda p, m, per, sid: (np.r_[p[:-1], -0.01], m, per, sid), "outside"),
        (lambda p, m, per, sid: (p, m, 0.0, sid), "period"),
        (lambda p, m, per, sid: (p, m, -0.5, sid), "period"),
        (lambda p, m, per, sid: (p, m, float("nan"), sid), "period"),
        (lambda p, m, per, sid: (p, m, None, sid), "period"),
        (lambda p, m, per, sid: (p, m, per, "59693316790200963x4"), "not an integer"),
        (lambda p, m, per, sid: (p, m, per, 5.969331679020096e18), "not an integer"),
        (lambda p, m, per, sid: (p, m, per, ""), "not an integer"),
    ],
)
def test_validate_rejects_bad_input(change, match):
    phase, mag = _good()
    p, m, per, sid = change(phase, mag, 0.55, BIG_ID)
    with pytest.raises(LightCurveError, match=match) as info:
        validate_light_curve(sid, p, m, per, path="some/file.csv")
    assert "some/file.csv" in str(info.value)


def test_validate_batch_reports_and_skips_bad_stars():
    phase, mag = _good()
    ids = [str(BIG_ID), "abc", str(BIG_ID + 1)]
    phases = [phase[::-1], phase, phase[:5]]
    mags = [mag[::-1], mag, mag[:5]]
    curves, rejections = validate_batch(ids, phases, mags, [0.5, 0.6, 0.7], paths=["a", "b", "c"])
    assert curves.source_id.tolist() == [BIG_ID]
    assert curves.source_id.dtype == np.int64
    assert np.all(np.diff(curves.phase[0]) > 0)  # sorted
    np.testing.assert_array_equal(curves.mag[0], mag)  # magnitudes follow their phases
    assert [(r.source_id, r.path) for r in rejections] == [("abc", "b"), (str(BIG_ID + 1), "c")]
    assert all(isinstance(r, Rejection) and r.reason for r in rejections)
    with pytest.raises(LightCurveError, match="abc"):
        validate_batch(ids, phases, mags, [0.5, 0.6, 0.7], errors="raise")


def test_lightcurves_subset_and_int64():
    curves, _ = make_synthetic_rrab(6, random_state=3)
    sub = curves.subset([4, 1])
    assert len(sub) == 2
    assert sub.source_id.tolist() == [curves.source_id[4], curves.source_id[1]]
    np.testing.assert_array_equal(sub.mag[0], curves.mag[4])
    assert curves.subset(np.arange(6) % 2 == 0).source_id.tolist() == curves.source_id[::2].tolist()
    with pytest.raises(TypeError, match="int64"):
        LightCurves(source_id=np.array([1.0]), phase=[np.zeros(1)], mag=[np.zeros(1)], period=[1.0])


# --------------------------------------------------------------------------- DG22 (fake home)
def test_read_dg22_fake_home(fake_dg22_home, tmp_path):
    written = fake_dg22_home(n_stars=12)
    curves, table = read_dg22(tmp_path, verify=False)
    assert len(curves) == 12
    assert table["source_id"].dtype == np.int64
    np.testing.assert_array_equal(table["source_id"].to_numpy(), written["curves"].source_id)
    np.testing.assert_array_equal(curves.source_id, table["source_id"].to_numpy())
    np.testing.assert_array_equal(table["fold"].to_numpy(), written["folds"])
    np.testing.assert_allclose(table["feh"], written["feh"], atol=1e-6)
    np.testing.assert_allclose(table["feh_pred_dg22"], written["feh"] + 0.1, atol=1e-6)
    np.testing.assert_allclose(curves.period, written["curves"].period, atol=1e-6)
    for got, want in zip(curves.phase, written["curves"].phase):
        np.testing.assert_allclose(got, want, atol=1e-6)  # second cycle (phase >= 1) dropped
    curves.validate()


def test_read_dg22_missing_archive_says_how_to_fetch(fake_dg22_home, tmp_path):
    written = fake_dg22_home()
    (written["folder"] / "lc_dev_g.tar.gz").unlink()
    with pytest.raises(DataError, match="lc_dev_g.tar.gz") as info:
        read_dg22(tmp_path)
    assert "tserbench datasets fetch rrab-gaia-dg22" in str(info.value)


def test_read_dg22_missing_targets(fake_dg22_home, tmp_path):
    written = fake_dg22_home()
    (written["folder"] / "dekany2022_bilstm_oof_val.dat").unlink()
    with pytest.raises(DataError, match="dekany2022_bilstm_oof_val.dat.*tserbench datasets fetch"):
        read_dg22(tmp_path)


def test_read_dg22_truncated_archive(fake_dg22_home, tmp_path):
    written = fake_dg22_home(n_stars=30)
    archive = written["folder"] / "lc_dev_g.tar.gz"
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="corrupt or truncated") as info:
        read_dg22(tmp_path, verify=False)
    assert str(archive) in str(info.value)


def test_read_dg22_not_gzip(fake_dg22_home, tmp_path):
    written = fake_dg22_home()
    (written["folder"] / "lc_dev_g.tar.gz").write_bytes(b"this is not a gzip file at all")
    with pytest.raises(DataError, match="lc_dev_g.tar.gz.*corrupt or truncated"):
        read_dg22(tmp_path, verify=False)


def test_read_dg22_checksum_mismatch(fake_dg22_home, tmp_path):
    fake_dg22_home()  # same names as the real files, other content
    with pytest.raises(ChecksumError, match="sha256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}") as info:
        read_dg22(tmp_path, verify=True)
    assert "dekany2022_gaia_g" in str(info.value)


def test_read_dg22_star_without_light_curve(fake_dg22_home, tmp_path):
    written = fake_dg22_home()
    with open(written["folder"] / "dekany2022_bilstm_oof_val.dat", "a") as fh:
        fh.write("1234567890123456789 0 -1.5 -1.4\n")
    with open(written["folder"] / "periods_recovered.csv", "a") as fh:
        fh.write("1234567890123456789,0.5,3e-07,10,ok\n")
    with pytest.raises(DataError, match="no light curve.*1234567890123456789"):
        read_dg22(tmp_path, verify=False)


def test_read_dg22_star_without_period(fake_dg22_home, tmp_path):
    written = fake_dg22_home()
    path = written["folder"] / "periods_recovered.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")
    missing = str(written["curves"].source_id[-1])
    with pytest.raises(DataError, match=f"no period.*{missing}"):
        read_dg22(tmp_path, verify=False)


def test_read_dg22_bad_light_curve_names_star(fake_dg22_home, tmp_path):
    import io
    import tarfile

    written = fake_dg22_home(n_stars=3)
    sid = written["curves"].source_id[1]
    archive = written["folder"] / "lc_dev_g.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for k, s in enumerate(written["curves"].source_id):
            ph, mg = written["curves"].phase[k], written["curves"].mag[k].copy()
            if s == sid:
                mg[2] = np.nan
            data = "".join(f"{p:.6f} {m:.6f}\n" for p, m in zip(ph, mg)).encode()
            member = tarfile.TarInfo(f"lc_dev_g/{s}_bin.dat")
            member.size = len(data)
            tf.addfile(member, io.BytesIO(data))
    with pytest.raises(LightCurveError, match=f"{sid}.*non-finite mag"):
        read_dg22(tmp_path, verify=False)


def test_read_dg22_non_integer_id_in_targets(fake_dg22_home, tmp_path):
    written = fake_dg22_home()
    with open(written["folder"] / "dekany2022_bilstm_oof_val.dat", "a") as fh:
        fh.write("5.9e18 0 -1.5 -1.4\n")
    with pytest.raises(DataError, match="line 13: source_id '5.9e18' is not an integer"):
        read_dg22(tmp_path, verify=False)


def test_read_dg22_uses_bundled_periods(fake_dg22_home, tmp_path):
    # the real bundled periods file lacks the fake ids: the reader must fall back to it
    written = fake_dg22_home()
    (written["folder"] / "periods_recovered.csv").unlink()
    with pytest.raises(DataError, match="have no period") as info:
        read_dg22(tmp_path, verify=False)
    from tserbench.data._manifest import bundled_path

    assert str(bundled_path("dekany2022_gaia_g/periods_recovered.csv")) in str(info.value)


# --------------------------------------------------------------------------- DG22 (real)
@pytest.mark.realdata
def test_read_dg22_real(dg22_home):
    curves, table = read_dg22(dg22_home)
    assert len(curves) == len(table) == 4458
    raw = pd.read_csv(
        dg22_home / "dekany2022_gaia_g" / "dekany2022_bilstm_oof_val.dat", sep=r"\s+", header=None, dtype=str
    )
    # exact ids: compare as strings with the file's text
    assert [str(s) for s in table["source_id"]] == raw[0].tolist()
    assert table["source_id"].dtype == np.int64
    np.testing.assert_array_equal(table["fold"].to_numpy(), raw[1].astype(int).to_numpy())
    np.testing.assert_array_equal(table["feh"].to_numpy(), raw[2].astype(float).to_numpy())
    np.testing.assert_array_equal(table["feh_pred_dg22"].to_numpy(), raw[3].astype(float).to_numpy())
    periods = pd.read_csv(dg22_home / "dekany2022_gaia_g" / "periods_recovered.csv", dtype={"source_id": str})
    by_id = dict(zip(periods["source_id"], periods["period"]))
    np.testing.assert_array_equal(table["period"].to_numpy(), [by_id[s] for s in raw[0]])
    np.testing.assert_array_equal(curves.period, table["period"].to_numpy())
    n = curves.n_points
    assert (n.min(), int(np.median(n)), n.max()) == (21, 34, 97)
    # as DG22 read them: 20 stars repeat a (rounded) phase, and keep both points
    assert all(p.max() < 1.0 and np.all(np.diff(p) >= 0) for p in curves.phase)
    repeats = table["n_duplicate_phases"].to_numpy()
    assert (repeats > 0).sum() == 20
    assert [int(np.sum(np.diff(p) == 0)) for p in curves.phase] == repeats.tolist()
    merged, mtable = read_dg22(dg22_home, duplicate_phases="merge")
    assert all(np.all(np.diff(p) > 0) for p in merged.phase)
    np.testing.assert_array_equal(merged.n_points, n - repeats)
    np.testing.assert_array_equal(mtable["n_duplicate_phases"], repeats)


# --------------------------------------------------------------------------- Gaia DR3
def _write_gaia_fixture(tmp_path, rng):
    """Tiny but realistic Gaia DR3 epoch photometry + vari_rrlyrae CSVs.

    Returns the file paths and the expected outcome per star.
    """
    t0, t1 = 1666.0, 2704.0  # DR3 time span in BJD - 2455197.5
    stars = {
        "4042537606908132736": dict(pf=0.5512, epoch=1700.1234, n=40, flags=("false", "true")),
        "5827003162988180352": dict(pf=0.6301, epoch=1710.9, n=35, flags=("False", "True")),
        "6029266504572575360": dict(pf=None, epoch=1702.0, n=30, flags=("false", "true")),  # RRc: no pf
        "4038197594002697216": dict(pf=0.48, epoch=1703.0, n=6, flags=("false", "true")),  # too few
        "4038197594002697217": dict(pf=0.52, epoch=1703.0, n=30, flags=("false", "true"), nan_mag=True),
        "5969331679020096384": dict(pf=0.58, epoch=1704.0, n=30, flags=("false", "true"), not_in_rrl=True),
        "59693316790x0096384": dict(pf=0.58, epoch=1704.0, n=30, flags=("false", "true")),  # bad id
    }
    rows, rrl = [], []
    expected = {}
    transit = 10_000
    for sid, s in stars.items():
        f, t = s["flags"]
        times = np.sort(rng.uniform(t0, t1, s["n"]))
        per = s["pf"] or 0.33
        ph = ((times - s["epoch"]) / per) % 1.0
        mags = 16.0 + 0.3 * np.sin(2 * np.pi * ph) + rng.normal(0, 0.01, s["n"])
        if s.get("nan_mag"):
            mags[3] = np.nan
        for k, (tt, mm) in enumerate(zip(times, mags)):
            transit += 1
            for band in ("G", "BP", "RP"):
                rows.append(
                    dict(source_id=sid, transit_id=transit, band=band, time=tt,
                         mag=mm + (0.4 if band != "G" else 0.0), flux=1e4, flux_error=10.0,
                         rejected_by_photometry=f, rejected_by_variability=f)
                )
        # two extra G transits rejected by the variability pipeline (outliers)
        for tt in rng.uniform(t0, t1, 2):
            transit += 1
            rows.append(
                dict(source_id=sid, transit_id=transit, band="G", time=tt, mag=25.0, flux=1.0,
                     flux_error=1.0, rejected_by_photometry=f, rejected_by_variability=t)
            )
        if not s.get("not_in_rrl"):
            rrl.append(dict(source_id=sid, pf="" if s["pf"] is None else s["pf"], epoch_g=s["epoch"], p1_o=0.33))
        expected[sid] = (times, mags, s)
    epoch_csv = tmp_path / "epoch_photometry.csv"
    rrl_csv = tmp_path / "vari_rrlyrae.csv"
    pd.DataFrame(rows).to_csv(epoch_csv, index=False)
    pd.DataFrame(rrl).to_csv(rrl_csv, index=False)
    return epoch_csv, rrl_csv, expected


def test_read_gaia_epoch_photometry(tmp_path):
    epoch_csv, rrl_csv, expected = _write_gaia_fixture(tmp_path, np.random.default_rng(5))
    curves, rejections = read_gaia_epoch_photometry(epoch_csv, rrl_csv)
    good = ["4042537606908132736", "5827003162988180352"]
    assert curves.source_id.dtype == np.int64
    assert [str(s) for s in curves.source_id] == good
    for k, sid in enumerate(good):
        times, mags, s = expected[sid]
        ph = (times - s["epoch"]) / s["pf"] - np.floor((times - s["epoch"]) / s["pf"])  # Eq. 1
        order = np.argsort(ph)
        np.testing.assert_allclose(curves.phase[k], ph[order], atol=1e-9)
        np.testing.assert_allclose(curves.mag[k], mags[order])  # G only; rejected transits gone
        assert curves.period[k] == s["pf"]
    reasons = {r.source_id: r.reason for r in rejections}
    assert set(reasons) == set(expected) - set(good)
    assert "pf" in reasons["6029266504572575360"]
    assert "only 6 points" in reasons["4038197594002697216"]
    assert "non-finite mag" in reasons["4038197594002697217"]
    assert "not in vari_rrlyrae.csv" in reasons["5969331679020096384"]
    assert "not an integer" in reasons["59693316790x0096384"]
    assert all(r.path == str(epoch_csv) for r in rejections)


def test_read_gaia_errors_raise_and_bad_files(tmp_path):
    epoch_csv, rrl_csv, _ = _write_gaia_fixture(tmp_path, np.random.default_rng(6))
    with pytest.raises(LightCurveError, match="6029266504572575360"):
        read_gaia_epoch_photometry(epoch_csv, rrl_csv, errors="raise")
    with pytest.raises(ConfigError):
        read_gaia_epoch_photometry(epoch_csv, rrl_csv, errors="ignore")
    with pytest.raises(DataError, match="nope.csv: file not found"):
        read_gaia_epoch_photometry(tmp_path / "nope.csv", rrl_csv)
    pd.read_csv(rrl_csv).drop(columns="epoch_g").to_csv(tmp_path / "rrl2.csv", index=False)
    with pytest.raises(DataError, match=r"rrl2.csv: missing column\(s\) \['epoch_g'\]"):
        read_gaia_epoch_photometry(epoch_csv, tmp_path / "rrl2.csv")
    shutil.copy(rrl_csv, tmp_path / "rrl3.csv")
    with open(tmp_path / "rrl3.csv", "a") as fh:
        fh.write(pd.read_csv(rrl_csv, dtype=str).iloc[0].str.cat(sep=",") + "\n")
    with pytest.raises(DataError, match="appears more than once"):
        read_gaia_epoch_photometry(epoch_csv, tmp_path / "rrl3.csv")


# --------------------------------------------------------------------------- synthetic
def test_synthetic_is_deterministic_and_valid():
    a, feh_a = make_synthetic_rrab(40, random_state=7)
    b, feh_b = make_synthetic_rrab(40, random_state=7)
    c, feh_c = make_synthetic_rrab(40, random_state=8)
    np.testing.assert_array_equal(feh_a, feh_b)
    assert all(np.array_equal(x, y) for x, y in zip(a.mag, b.mag))
    assert not np.array_equal(feh_a, feh_c)
    a.validate()
    assert a.source_id.dtype == np.int64 and a.source_id.min() > 2**53
    assert a.n_points.min() >= 21 and a.n_points.max() <= 97


def test_synthetic_distributions_look_like_dg22():
    curves, feh = make_synthetic_rrab(1500, random_state=0)
    assert -1.6 < np.median(feh) < -1.35
    assert 0.40 < feh.std() < 0.55
    assert np.mean(feh - np.median(feh)) > 0  # skewed towards metal-rich stars
    assert 28 <= np.median(curves.n_points) <= 40
    assert 0.50 < np.median(curves.period) < 0.62
    assert np.corrcoef(feh, np.log10(curves.period))[0, 1] < -0.3  # metal-rich stars pulsate faster
    mean_mag = np.array([m.mean() for m in curves.mag])
    assert mean_mag.min() > 13.5 and mean_mag.max() < 19.5


def _fourier_features(phase, mag, period, order=4):
    cols = [np.ones_like(phase)]
    for k in range(1, order + 1):
        cols += [np.cos(2 * np.pi * k * phase), np.sin(2 * np.pi * k * phase)]
    coef, *_ = np.linalg.lstsq(np.column_stack(cols), mag, rcond=None)
    a, b = coef[1::2], coef[2::2]
    amp, phi = np.hypot(a, b), np.arctan2(a, b)  # sine series: A_k sin(2 pi k x + phi_k)
    return [period, amp[0], amp[1] / amp[0], amp[2] / amp[0], (phi[1] - 2 * phi[0]) % (2 * np.pi),
            (phi[2] - 3 * phi[0]) % (2 * np.pi)]


def test_synthetic_is_learnable_by_a_linear_model():
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import cross_val_score

    curves, feh = make_synthetic_rrab(600, random_state=1)
    F = np.array([_fourier_features(p, m, P) for p, m, P in zip(curves.phase, curves.mag, curves.period)])
    r2 = cross_val_score(LinearRegression(), F, feh, cv=5, scoring="r2").mean()
    assert r2 > 0.6
    # the Jurcsik-Kovacs phi31 is recovered from the sparse noisy curves (V-band sine convention)
    phi31_jk = (feh + 5.038 + 5.394 * curves.period) / 1.345
    assert np.median(np.abs(F[:, 5] - phi31_jk)) < 0.3


@pytest.mark.parametrize("mag_scale, period, reason", [(1e300, 0.55, "magnitude"), (1.0, 1e308, "period")])
def test_absurd_but_finite_values_are_rejected_per_star(mag_scale, period, reason):
    from tserbench.data._lightcurves import validate_light_curve

    phase = np.linspace(0, 0.95, 20)
    with pytest.raises(LightCurveError, match=reason):
        validate_light_curve(12345, phase, 15 + mag_scale * np.sin(phase), period)
