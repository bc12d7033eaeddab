"""Where and when to hold the next worker sessions.

:mod:`.calendar` (working days, holidays, overrides), :mod:`.features` (sessions and sites as model inputs),
:mod:`.model` (expected consultations and applications per site and hour, with uncertainty), :mod:`.evaluation`
(time-split backtest against simple baselines, calibration), :mod:`.store` (trained models under ``models/`` with
their metadata), :mod:`.planner` (a week for K teams, with exploration of untried sites and hours) and
:mod:`.recommend` (the request that ties them together). A request never trains.
"""
