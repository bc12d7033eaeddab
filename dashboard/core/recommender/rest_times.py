"""When each kind of worker rests, as published: the prior shape of a kind of place's hours.

The table is the union federation's field knowledge as the sources put it (delivery platforms' order peaks,
courier depots' sorting hours, Beijing's lorry permit window, factory shift changes, construction's midday break,
office lunch hours; summarised in the project's domain notes, scores 0-5 inferred from them). The curve model
(:mod:`.curve`) starts each kind of place from these shapes and lets its sessions move it: where the history
has sessions, the data decide; where it has none (an hour the planners never tried), the published shape says
more than a flat guess would. Only the shape is used, never the level.
"""

from __future__ import annotations

import numpy as np

N_SLOTS = 48
# (start hour, end hour) of the published bands
BANDS = ((7, 9), (9, 11), (11, 13), (13, 14), (14, 17), (17, 19.5), (19.5, 21))
AVAILABILITY = {
    "rider": (1, 3, 0, 1, 5, 0, 2),  # lunch orders to 13:30-14:00, drinks to 16:30, evening peak from 17:00
    "courier": (2, 1, 2, 3, 2, 1, 2),  # depot sorting in the morning, midday at the 驿站
    "truck": (2, 4, 4, 4, 4, 2, 1),  # waiting for the 0-6h window inside the 6th ring
    "ridehail": (0, 2, 2, 3, 3, 0, 1),
    "factory": (3, 1, 4, 2, 1, 4, 2),  # shift changes and the canteen
    "office": (1, 0, 5, 3, 0, 2, 1),  # the lunch hour
    "construction": (2, 0, 4, 3, 0, 3, 4),  # midday break, evenings
    "retail": (1, 3, 0, 2, 4, 0, 1),
}
# Share of a working day's workers there on a rest day (the table's "weekend" column: offices empty, riders not).
REST_DAY = {
    "rider": 1.0,
    "courier": 0.8,
    "truck": 1.0,
    "ridehail": 1.0,
    "factory": 0.7,
    "office": 0.2,
    "construction": 0.8,
    "retail": 0.5,
}
OUTSIDE = 0.5  # outside the published bands nobody says; low, not nothing
# Who works at each kind of place (equal shares where several kinds do).
WORKERS_AT = {
    "office_cluster": ("office",),
    "logistics_park": ("truck", "courier"),
    "industrial_park": ("factory",),
    "commercial_street": ("retail",),
    "delivery_station": ("rider",),
    "transport_hub": ("ridehail", "courier"),
    "residential_community": ("courier", "rider", "retail"),
    "construction_site": ("construction",),
}


def group_curve(group: str) -> np.ndarray:
    """Availability per half hour (48 slots) of one kind of worker, as published."""
    curve = np.full(N_SLOTS, OUTSIDE)
    for (a, b), score in zip(BANDS, AVAILABILITY[group], strict=True):
        curve[int(a * 2) : int(b * 2)] = max(score, OUTSIDE)
    if group == "truck":
        curve[:12] = 3.0  # the night window
    return curve


def type_shape(site_type: str) -> np.ndarray:
    """The published shape of a kind of place's hours on a working day (row 0) and a rest day (row 1), (2, 48):
    a working day's mean is 1, a rest day's the share of workers still there. A kind of place the table does not
    cover ("other") is flat, with every kind's mean rest-day share."""
    groups = WORKERS_AT.get(site_type)
    if not groups:
        return np.stack([np.ones(N_SLOTS), np.full(N_SLOTS, np.mean(list(REST_DAY.values())))])
    curve = np.mean([group_curve(g) for g in groups], axis=0)
    rest = np.mean([REST_DAY[g] * group_curve(g) for g in groups], axis=0)
    shape: np.ndarray = np.stack([curve, rest]) / curve.mean()
    return shape
