"""Batched periodic cubic smoothing spline with a GCV-chosen penalty (numpy only).

Why our own code: the reference, :func:`scipy.interpolate.make_smoothing_spline`
on three periodic copies of each star, runs one star at a time. This module
fits all stars at once, orders of magnitude faster (docs/performance.md), with
the same mathematics:

* **Same curve for a given penalty.** The cubic smoothing spline minimises
  ``sum_i (y_i - f(x_i))**2 + lam * integral f''(x)**2 dx`` (scipy's definition
  of ``lam``). With the points repeated at ``phase - 1`` and ``phase + 1``
  (scipy path) both sums triple, so on ``[0, 1)`` the solution is, up to the
  far-away natural ends at -1 and 2, the *periodic* cubic smoothing spline of
  one copy with the same ``lam``. We fit that periodic spline directly, in
  Reinsch form (Green & Silverman 1994, ch. 2, with cyclic matrices): values
  ``g`` at the knots and second derivatives ``gamma`` with ``D g = R gamma``,
  penalty ``g' K g``, ``K = D R^-1 D`` (``D``, ``R`` cyclic tridiagonal,
  ``D`` symmetric). Measured on DG22 curves: the two agree to < 1e-4 mag at
  equal ``lam``.
* **Same GCV criterion and search.** With the eigendecomposition
  ``K = U diag(d) U'`` (Demmler-Reinsch basis), the fit for any ``lam`` is
  ``g = U diag(1/(1 + lam d)) U' y`` and ``GCV(lam) = (RSS/n) / (1 - tr/n)**2``
  costs O(n) per star, so the bounded Brent search that scipy runs
  (``minimize_scalar(method="bounded")`` on ``(0, N)`` with ``N = 3n`` points,
  ``xatol=1e-5``) is run here vectorised over all stars, step for step.
  The GCV of the tripled problem equals the periodic one (RSS, trace and N
  all triple) except at very large ``lam``, where the natural spline tends to a
  straight line and the periodic one to a constant.

Known, measured difference: on many sparse DG22 curves scipy's Brent search
starts on the large-``lam`` plateau (``lam`` ~ 40-100, a nearly flat curve),
where the tripled GCV slowly *decreases* towards the upper bound, and it stops
there (lam ~ 60-100) although the GCV is many times smaller near lam ~ 1e-5.
The periodic GCV rises on that plateau, so the same search leaves it and finds
the GCV minimum. There the scipy reference is a washed-out, almost constant
curve and ours keeps the light-curve shape. Measured on every 5th DG22 star
(892 stars, n_grid=50): scipy's curve has a peak-to-peak below 20 % of the
data's for 52 % of the stars (ours: 0 %); on the 47 % where scipy's search
reaches the GCV minimum the two agree to < 5 mmag (median 1e-12 mag).

Most of the time is the batched ``eigh`` (one call per distinct number of
points).
"""

from __future__ import annotations

import numpy as np

__all__ = ["fit_periodic_gcv"]

_SQRT_EPS = np.sqrt(2.2e-16)  # as in scipy.optimize._optimize._minimize_scalar_bounded
_GOLDEN = 0.5 * (3.0 - np.sqrt(5.0))


def _group_matrices(P: np.ndarray):
    """Demmler-Reinsch basis of ``k`` stars with ``n`` knots each.

    Parameters
    ----------
    P : (k, n) strictly increasing phases in [0, 1).

    Returns
    -------
    d : (k, n) eigenvalues of K; U : (k, n, n) eigenvectors; M : (k, n, n)
    ``R^-1 D`` (maps knot values to second derivatives); h : (k, n) knot gaps.
    """
    h = np.empty_like(P)
    h[:, :-1] = P[:, 1:] - P[:, :-1]
    h[:, -1] = P[:, 0] + 1.0 - P[:, -1]  # cyclic gap t_n -> t_1 + 1
    hm = np.roll(h, 1, axis=1)  # h_{i-1}
    k, n = P.shape
    idx = np.arange(n)
    ip = np.roll(idx, -1)
    im = np.roll(idx, 1)
    inv_h, inv_hm = 1.0 / h, 1.0 / hm
    D = np.zeros((k, n, n))
    D[:, idx, ip] = inv_h
    D[:, idx, im] += inv_hm
    D[:, idx, idx] = -(inv_h + inv_hm)
    R = np.zeros((k, n, n))
    R[:, idx, idx] = (hm + h) / 3.0
    R[:, idx, ip] = h / 6.0
    R[:, idx, im] += hm / 6.0
    M = np.linalg.solve(R, D)  # R^-1 D
    # K = D M with D cyclic tridiagonal and symmetric: three shifted rows of M.
    K = inv_hm[:, :, None] * M[:, im, :] + D[:, idx, idx][:, :, None] * M + inv_h[:, :, None] * M[:, ip, :]
    K = 0.5 * (K + K.transpose(0, 2, 1))
    # Constants are the exact null space of K, but 1/h**3 entries (phase gaps
    # down to 1e-6) leave a rounding error on that eigenvalue that a large lam
    # would amplify. Deflate it exactly with a Householder reflection H
    # (H u = e_1, u = 1/sqrt(n)): eigh of the (n-1) block of H K H, then the
    # constant gets eigenvalue 0 and eigenvector u.
    u = np.full(n, 1.0 / np.sqrt(n))
    w = u.copy()
    w[0] -= 1.0
    w /= np.linalg.norm(w)
    Kw = K @ w  # (k, n)
    wKw = Kw @ w  # (k,)
    HKH = (
        K
        - 2.0 * w[None, :, None] * Kw[:, None, :]
        - 2.0 * Kw[:, :, None] * w[None, None, :]
        + 4.0 * wKw[:, None, None] * (w[:, None] * w[None, :])[None]
    )
    dv, V = np.linalg.eigh(HKH[:, 1:, 1:])
    d = np.empty((k, n))
    d[:, 0] = 0.0
    d[:, 1:] = np.maximum(dv, 0.0)
    U = np.empty((k, n, n))
    U[:, :, 0] = u
    # H [0; V] = [0; V] - 2 w (w[1:] . V)
    U[:, :, 1:] = -2.0 * w[None, :, None] * (w[1:] @ V)[:, None, :]
    U[:, 1:, 1:] += V
    return d, U, M, h


def _evaluate(P, G, Gam, h, grid):
    """Evaluate the periodic cubic spline (knots P, values G, 2nd derivatives Gam) on grid."""
    k, n = P.shape
    X = np.where(grid[None, :] < P[:, :1], grid[None, :] + 1.0, grid[None, :])  # (k, m) in [t_1, t_1 + 1)
    i = (P[:, None, :] <= X[:, :, None]).sum(axis=2) - 1  # interval [t_i, t_i+1)
    j = np.where(i + 1 == n, 0, i + 1)
    t0 = np.take_along_axis(P, i, 1)
    hh = np.take_along_axis(h, i, 1)
    g0, g1 = np.take_along_axis(G, i, 1), np.take_along_axis(G, j, 1)
    c0, c1 = np.take_along_axis(Gam, i, 1), np.take_along_axis(Gam, j, 1)
    a = X - t0
    b = hh - a
    return (a * g1 + b * g0) / hh - a * b / 6.0 * ((1.0 + a / hh) * c1 + (1.0 + b / hh) * c0)


def _brent_bounded(f, a, b, xatol=1e-5, maxfun=500):
    """Vectorised copy of scipy's bounded Brent minimiser (``fminbound``).

    Each element of ``a``/``b`` is an independent problem; ``f(x, active)``
    returns the objective for all problems (values of inactive ones unused).
    Follows ``scipy.optimize._optimize._minimize_scalar_bounded`` line by line.
    """
    a = a.astype(np.float64).copy()
    b = b.astype(np.float64).copy()
    xf = a + _GOLDEN * (b - a)
    fulc, nfc, x = xf.copy(), xf.copy(), xf.copy()
    rat = np.zeros_like(a)
    e = np.zeros_like(a)
    fx = f(xf, np.ones(a.shape, dtype=bool))
    ffulc, fnfc = fx.copy(), fx.copy()
    xm = 0.5 * (a + b)
    tol1 = _SQRT_EPS * np.abs(xf) + xatol / 3.0
    tol2 = 2.0 * tol1
    active = np.abs(xf - xm) > (tol2 - 0.5 * (b - a))
    num = 1
    while active.any() and num < maxfun:
        par = active & (np.abs(e) > tol1)
        r = (xf - nfc) * (fx - ffulc)
        q = (xf - fulc) * (fx - fnfc)
        p = (xf - fulc) * q - (xf - nfc) * r
        q = 2.0 * (q - r)
        p = np.where(q > 0.0, -p, p)
        q = np.abs(q)
        r = np.where(par, e, 0.0)
        e = np.where(par, rat, e)
        ok = par & (np.abs(p) < np.abs(0.5 * q * r)) & (p > q * (a - xf)) & (p < q * (b - xf))
        ratp = np.divide(p, q, out=np.zeros_like(p), where=ok)
        xp = xf + ratp
        near = ok & (((xp - a) < tol2) | ((b - xp) < tol2))
        si = np.sign(xm - xf) + ((xm - xf) == 0)
        rat = np.where(ok, np.where(near, tol1 * si, ratp), rat)
        gold = active & ~ok
        eg = np.where(xf >= xm, a - xf, b - xf)
        e = np.where(gold, eg, e)
        rat = np.where(gold, _GOLDEN * eg, rat)
        si = np.sign(rat) + (rat == 0)
        x = np.where(active, xf + si * np.maximum(np.abs(rat), tol1), x)
        fu = f(x, active)
        num += 1
        better = active & (fu <= fx)
        worse = active & ~(fu <= fx)
        a = np.where((better & (x >= xf)) | (worse & (x < xf)), np.where(better, xf, x), a)
        b = np.where((better & (x < xf)) | (worse & (x >= xf)), np.where(better, xf, x), b)
        c1 = worse & ((fu <= fnfc) | (nfc == xf))
        c2 = worse & ~c1 & ((fu <= ffulc) | (fulc == xf) | (fulc == nfc))
        new_fulc = np.where(better | c1, nfc, np.where(c2, x, fulc))
        new_ffulc = np.where(better | c1, fnfc, np.where(c2, fu, ffulc))
        nfc = np.where(better, xf, np.where(c1, x, nfc))
        fnfc = np.where(better, fx, np.where(c1, fu, fnfc))
        fulc, ffulc = new_fulc, new_ffulc
        xf = np.where(better, x, xf)
        fx = np.where(better, fu, fx)
        xm = 0.5 * (a + b)
        tol1 = _SQRT_EPS * np.abs(xf) + xatol / 3.0
        tol2 = 2.0 * tol1
        active &= np.abs(xf - xm) > (tol2 - 0.5 * (b - a))
    return xf


def fit_periodic_gcv(phases, mags, grid, *, lam=None, upper_factor=3.0):
    """Fit periodic cubic smoothing splines, penalty by GCV, and evaluate them on ``grid``.

    Parameters
    ----------
    phases, mags : list of 1-D arrays
        Strictly increasing phases in [0, 1) and magnitudes (>= 5 points each).
    grid : 1-D array of phases in [0, 1).
    lam : float or array-like, optional
        Fixed penalty per star; ``None`` chooses it by GCV.
    upper_factor : float, default=3.0
        Upper bound of the GCV search is ``upper_factor * n`` (scipy searches
        ``(0, N)``, ``N = 3n`` for the three periodic copies).

    Returns
    -------
    values : (n_stars, len(grid)) array; lam : (n_stars,) penalties used.
    """
    ns = np.fromiter((p.size for p in phases), dtype=np.int64, count=len(phases))
    S = ns.size
    flat_p = np.concatenate(phases)
    flat_m = np.concatenate(mags)
    offsets = np.concatenate([[0], np.cumsum(ns)[:-1]])
    # Flat (ragged) storage of eigenvalues and squared Demmler-Reinsch coefficients.
    flat_d = np.empty(flat_p.size)
    flat_z = np.empty(flat_p.size)
    groups = []
    for n in np.unique(ns):
        sel = np.flatnonzero(ns == n)
        take = offsets[sel, None] + np.arange(n)[None, :]
        P = flat_p[take]
        Y = flat_m[take]
        d, U, M, h = _group_matrices(P)
        z = np.matmul(Y[:, None, :], U)[:, 0, :]  # U' y
        flat_d[take] = d
        flat_z[take] = z
        groups.append((sel, P, d, U, M, z, h))
    nf = ns.astype(np.float64)
    if lam is None:
        z2 = flat_z**2
        starts = offsets

        def gcv(lam_, active):
            s = 1.0 / (1.0 + np.repeat(lam_, ns) * flat_d)
            rss = np.add.reduceat((1.0 - s) ** 2 * z2, starts)
            tr = np.add.reduceat(s, starts)
            return (rss / nf) / (1.0 - tr / nf) ** 2

        lam = _brent_bounded(gcv, np.zeros(S), upper_factor * nf)
    else:
        lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), (S,)).copy()
    out = np.empty((S, grid.size))
    for sel, P, d, U, M, z, h in groups:
        s = 1.0 / (1.0 + lam[sel, None] * d)
        G = np.matmul(U, (s * z)[:, :, None])[:, :, 0]
        Gam = np.matmul(M, G[:, :, None])[:, :, 0]  # second derivatives, R gamma = D g
        out[sel] = _evaluate(P, G, Gam, h, grid)
    return out, lam
