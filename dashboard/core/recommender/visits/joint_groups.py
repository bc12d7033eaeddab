"""Units of a visit: an enterprise of its own, or small neighbours grouped into a proposed joint union (联合工会)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neighbors import BallTree

from .common import EARTH_M, JOINT_MIN_STAFF, radians_of, staff_of

JOINT_RADIUS_M = 200.0  # one building or one park's block; geocoded addresses are off by 50-100 m
JOINT_MAX_MEMBERS = 8  # a joint union of more is hard to run from one meeting; more are left for the next group
POLICIES = ("model", "largest", "unvisited")


def group_units(register: pd.DataFrame, eligible: np.ndarray, radius_m: float, max_members: int) -> pd.DataFrame:
    """Visit units of the ``eligible`` register rows (positions), see :func:`units`."""
    staff = staff_of(register)
    xy = radians_of(register)
    ids = register["enterprise_id"].astype(str).to_numpy()
    small = eligible & (staff < JOINT_MIN_STAFF) & ~np.isnan(xy).any(axis=1)
    idx = np.flatnonzero(small)
    grouped = np.zeros(len(register), dtype=bool)
    groups: list[list[int]] = []
    if len(idx) > 1:
        tree = BallTree(xy[idx], metric="haversine")
        hits, dists = tree.query_radius(xy[idx], radius_m / EARTH_M, return_distance=True, sort_results=True)
        # the largest small enterprise seeds a group and takes its nearest neighbours until the group reaches 25
        seeds = np.lexsort((ids[idx], -staff[idx]))
        taken = np.zeros(len(idx), dtype=bool)
        for s in seeds:
            if taken[s] or len(hits[s]) < 2:
                continue
            members, total = [int(s)], staff[idx[s]]
            for j in hits[s]:
                if j == s or taken[j]:
                    continue
                members.append(int(j))
                total += staff[idx[j]]
                if total >= JOINT_MIN_STAFF or len(members) >= max_members:
                    break
            if total >= JOINT_MIN_STAFF and len(members) >= 2:
                taken[members] = True
                groups.append([int(idx[m]) for m in members])
        for g in groups:
            grouped[g] = True
    singles = np.flatnonzero(eligible & ~grouped)
    positions: list[list[int]] = [[int(i)] for i in singles] + groups
    kinds = ["single"] * len(singles) + ["joint"] * len(groups)
    lat = pd.to_numeric(register["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(register["lon"], errors="coerce").to_numpy(dtype=float)
    first = np.array([p[0] for p in positions], dtype=np.int64)
    street = register["street"].astype("string").to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "unit_id": [ids[p[0]] if len(p) == 1 else "J-" + ids[p[0]] for p in positions],
            "members": [[ids[i] for i in p] for p in positions],
            "positions": positions,
            "kind": kinds,
            "staff": [float(np.nansum(staff[p])) if not np.isnan(staff[p]).all() else np.nan for p in positions],
            "lat": [float(np.mean(lat[p])) for p in positions],
            "lon": [float(np.mean(lon[p])) for p in positions],
            "district": register["district"].astype("string").to_numpy(dtype=object)[first],
            "street": [None if pd.isna(street[i]) else street[i] for i in first],
        }
    )
    return frame.sort_values("unit_id", kind="stable").reset_index(drop=True)


def units(
    register: pd.DataFrame, radius_m: float = JOINT_RADIUS_M, max_members: int = JOINT_MAX_MEMBERS
) -> pd.DataFrame:
    """The visit units: each unionless enterprise alone, or small neighbours as one proposed joint union (联合工会).

    Unionless enterprises with fewer than :data:`JOINT_MIN_STAFF` staff and known coordinates are grouped greedily
    and deterministically: the largest not yet grouped seeds a group and adds its nearest ungrouped small
    neighbours within ``radius_m`` of it (200 m: one building or one park's block, allowing for geocoding error)
    until the group's combined staff reaches 25 or it has ``max_members``; a group that cannot reach 25 is not
    formed. Every member is within ``radius_m`` of the seed, so a group never chains across a district the way
    density clustering (DBSCAN) does in a busy centre. Enterprises of 25 staff or more are never grouped.

    Returns
    -------
    DataFrame
        ``unit_id`` (the enterprise_id; "J-" + the seed's for a group), ``members`` (list of enterprise_ids, the
        seed first), ``positions`` (their register positions), ``kind`` ("single" | "joint"), ``staff``
        (combined), ``lat``, ``lon`` (centroid), ``district``, ``street`` (the seed's); sorted by unit_id.
    """
    none = (register["union_status"].astype("string") == "none").fillna(False).to_numpy(dtype=bool)
    return group_units(register, none, radius_m, max_members)
