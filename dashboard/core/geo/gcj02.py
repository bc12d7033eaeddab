"""WGS-84 <-> GCJ-02 ("Mars coordinates") conversion, vectorised with numpy.

Chinese web maps (AMap/Gaode) publish geometry in GCJ-02, an obfuscated datum that is offset from WGS-84 by
about 520-560 m in Beijing. The forward transform is public; its inverse has no closed form. The one-step
inverse (subtract the offset computed at the GCJ point) errs by up to a few metres, so :func:`gcj_to_wgs`
iterates the forward transform to a fixed point instead, which converges to well under a centimetre.

All functions take and return ``(lon, lat)`` in that order, like GeoJSON and shapely.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by the GCJ-02 algorithm
_EE = 0.00669342162296594323


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    sq = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq
    dlat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq
    dlon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def wgs_to_gcj(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 coordinates to GCJ-02.

    Parameters
    ----------
    lon, lat : float or array-like
        Longitude and latitude in degrees (WGS-84). Points outside China are returned unchanged.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lon, lat)`` in GCJ-02.

    Examples
    --------
    >>> lon, lat = wgs_to_gcj(116.397, 39.909)
    >>> round(float(lon - 116.397), 4), round(float(lat - 39.909), 4)
    (0.0062, 0.0014)
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    out = _outside_china(lon, lat)
    return np.where(out, lon, lon + dlon), np.where(out, lat, lat + dlat)


def gcj_to_wgs(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, tol: float = 1e-10, max_iter: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 coordinates back to WGS-84 by fixed-point iteration.

    Parameters
    ----------
    lon, lat : float or array-like
        Longitude and latitude in degrees (GCJ-02).
    tol : float
        Stop when every point moves less than this many degrees (1e-10 deg is about 0.01 mm).
    max_iter : int
        Upper bound on iterations; in practice 3-5 are needed.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lon, lat)`` in WGS-84, such that ``wgs_to_gcj`` of the result reproduces the input.
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs_to_gcj(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon, wlat = wlon - elon, wlat - elat
        if np.nanmax(np.abs(np.concatenate([np.ravel(elon), np.ravel(elat)])), initial=0.0) < tol:
            break
    return wlon, wlat
