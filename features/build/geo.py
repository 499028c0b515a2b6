"""Where the seven townships are, for checking that a visit's GPS fix was taken in the household's township.

Rule: a fix is inside the declared township when that township's centre is the nearest of the seven and lies
within ``MAX_KM_FROM_CENTRE``. Centres are approximate (island centres read off the county map); the islands are
far enough apart that the nearest centre is a sound test, while 菜园 and 五龙 share 泗礁山 and are told apart by
their halves of the island. The simulator places visits around the same centres.
"""

from __future__ import annotations

import numpy as np

from features.county import TOWNSHIP_CENTRES

MAX_KM_FROM_CENTRE = 12.0
_EARTH_KM = 6371.0
_NAMES = np.array(list(TOWNSHIP_CENTRES), dtype=object)
_CENTRES = np.array(list(TOWNSHIP_CENTRES.values()))


def km_between(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km (haversine)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def gps_in_township(lat: np.ndarray, lon: np.ndarray, township: np.ndarray) -> np.ndarray:
    """1.0 where the fix is inside the declared township, 0.0 where not, NaN where fix or township is missing."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    dist = km_between(lat[:, None], lon[:, None], _CENTRES[None, :, 0], _CENTRES[None, :, 1])
    dist = np.where(np.isnan(dist), np.inf, dist)
    nearest = _NAMES[np.argmin(dist, axis=1)]
    ok = (nearest == np.asarray(township, dtype=object)) & (dist.min(axis=1) <= MAX_KM_FROM_CENTRE)
    known = ~np.isnan(lat) & ~np.isnan(lon) & np.array([isinstance(t, str) for t in township], dtype=bool)
    return np.where(known, ok.astype(float), np.nan)
