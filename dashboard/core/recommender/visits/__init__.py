"""Which enterprises to visit (企业沟通会): P(a union is founded within 90 days of a visit), the model and its backtest.

Union staff visit company heads so that the company founds a union (建会). This module learns, from the visits made
so far, how likely a visit is to lead to a founding within :data:`HORIZON_DAYS`, and what a founding brings (staff x
the district's join rate). :func:`units` groups small neighbours into proposed joint
unions (联合工会); :func:`plan` picks the visits of the coming days, spreads them over staff and days and routes
them.

Pure pandas/numpy/scikit-learn on frames, no database and no streamlit. The frames:

``register``
    one row per enterprise: ``enterprise_id``, ``name``, ``district`` (adcode), ``street``, ``lat``, ``lon``,
    ``industry`` (GB/T 4754 section letter), ``staff``, ``union_status`` ("none" | "founded" | "joint"),
    ``union_founded_on`` (datetime64, NaT when unknown).
``visits``
    one row per enterprise visited on a day: ``enterprise_id``, ``visited_on``, ``outcome`` ("held" | "interested" |
    "founded" | "declined"), ``founded_on``, ``members``, ``services_offered``, ``services_asked``, ``reason``.

Time is handled as whole days since 1970-01-01 (``int``/``float`` arrays) so that every "as of" question is a
``searchsorted`` over sorted keys rather than a per-row loop: the training frame of 40,000 visits is built in well
under a second.

One module per role, each building on the ones before it: :mod:`.common` (constants, days as numbers, distances),
:mod:`.history_features` (an enterprise's features as of a day), :mod:`.founding_model` (the model),
:mod:`.time_split` (its backtest), :mod:`.joint_groups` (the units of a visit), :mod:`.unit_scores` (the policies'
scores) and :mod:`.plans` (the plan). What callers use is imported here: ``visits.plan``, ``visits.VisitModel``.
"""

from dashboard.core.intake import decline_reasons

from .common import (
    CATEGORICAL,
    DEFAULT_JOIN_RATE,
    EARTH_M,
    ESTIMATORS,
    FEATURES,
    HORIZON_DAYS,
    JOIN_RATE_PRIOR_N,
    JOINT_MIN_STAFF,
    LONG_AGO,
    MIN_POSITIVES,
    MIN_ROWS,
    NEARBY_M,
    NEVER_DAYS,
    NUMERIC,
    OUTCOMES,
    as_date,
    day_number,
    day_numbers,
    founding_days,
    haversine_km,
    planar_km,
    positions,
    radians_of,
    segment_counts,
    staff_of,
    unvisited_key,
)
from .founding_model import (
    RECALIBRATION_MIN_POSITIVES,
    VisitModel,
    probability_scores,
    recalibration,
)
from .history_features import (
    features,
    join_rates,
    member_rates,
    training_frame,
)
from .joint_groups import (
    JOINT_MAX_MEMBERS,
    JOINT_RADIUS_M,
    POLICIES,
    group_units,
    units,
)
from .plans import (
    VISIT_SHEET,
    about,
    day_groups,
    for_people,
    plan,
    reasons,
    route,
    working_days,
)
from .time_split import (
    CALIBRATION_FOLDS,
    backtest,
    calibration_deciles,
)
from .unit_scores import (
    PREPARING_BOOST,
    SCORERS,
    decline_rule,
    largest_first,
    longest_unvisited,
    model_scores,
    route_branches,
    unit_features,
)

__all__ = [
    "decline_reasons",
    "CATEGORICAL",
    "DEFAULT_JOIN_RATE",
    "EARTH_M",
    "ESTIMATORS",
    "FEATURES",
    "HORIZON_DAYS",
    "JOINT_MIN_STAFF",
    "JOIN_RATE_PRIOR_N",
    "LONG_AGO",
    "MIN_POSITIVES",
    "MIN_ROWS",
    "NEARBY_M",
    "NEVER_DAYS",
    "NUMERIC",
    "OUTCOMES",
    "as_date",
    "day_number",
    "day_numbers",
    "founding_days",
    "haversine_km",
    "planar_km",
    "positions",
    "radians_of",
    "segment_counts",
    "staff_of",
    "unvisited_key",
    "features",
    "join_rates",
    "member_rates",
    "training_frame",
    "RECALIBRATION_MIN_POSITIVES",
    "VisitModel",
    "probability_scores",
    "recalibration",
    "CALIBRATION_FOLDS",
    "backtest",
    "calibration_deciles",
    "JOINT_MAX_MEMBERS",
    "JOINT_RADIUS_M",
    "POLICIES",
    "group_units",
    "units",
    "PREPARING_BOOST",
    "SCORERS",
    "decline_rule",
    "largest_first",
    "longest_unvisited",
    "model_scores",
    "route_branches",
    "unit_features",
    "VISIT_SHEET",
    "about",
    "day_groups",
    "for_people",
    "plan",
    "reasons",
    "route",
    "working_days",
]
