"""What leadership and planners read: KPIs, rankings, targets, saved plans and their outcome, calendar files.

:mod:`.kpi` (the funnel and period filters), :mod:`.queries` (district, site and monthly tables), :mod:`.targets`
(yearly targets and progress), :mod:`.plans` (saved plans, done ticks, plan against actual) and :mod:`.ics`
(a plan as calendar events). Reads only; writes of plans and targets are audited.
"""
