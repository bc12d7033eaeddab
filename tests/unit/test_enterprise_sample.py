"""The synthetic enterprise register agrees with the sample's sessions and imports cleanly."""

import numpy as np
import pytest

from dashboard.core.geo import districts
from dashboard.core.intake import credit_code, ingest
from data import enterprise_sample, sample


@pytest.fixture(scope="module")
def world():
    generated = sample.generate()
    return generated.sessions, enterprise_sample.generate(sessions=generated.sessions)


def test_as_many_unions_founded_in_the_programme_as_the_sessions_record(world):
    sessions, register = world
    frame = register.enterprises
    founded = frame[(frame["建会状态"] == "已建会") & (frame["建会日期"] >= "2018-04-01")]
    enterprise = sessions[sessions["session_type"] == "enterprise"]
    recorded = enterprise["unions_founded"].astype(int).groupby(enterprise["district"]).sum()
    by_district = founded.groupby(districts.resolve_series(founded["所属区"])).size()
    assert by_district.sort_index().to_dict() == recorded[recorded > 0].sort_index().to_dict()
    assert len(frame) == enterprise_sample.N_ENTERPRISES > 2.5 * enterprise["enterprises_reached"].astype(int).sum()


def test_codes_are_valid_and_unique_and_staff_has_a_long_tail(world):
    _, register = world
    frame = register.enterprises
    codes = frame["统一社会信用代码"]
    assert codes.is_unique and all(credit_code.is_valid(c) for c in codes)
    assert 15 <= frame["员工数"].median() <= 25 and frame["员工数"].max() >= 1000
    share = (frame["所属区"] == "朝阳区").mean()
    assert abs(share - sample.UNITS["110105"] / sum(sample.UNITS.values())) < 0.01


def test_the_truth_favours_what_founded(world):
    _, register = world
    frame = register.enterprises.assign(propensity=register.truth["propensity"].to_numpy())
    programme = frame["建会日期"] >= "2018-04-01"
    assert frame.loc[programme, "propensity"].mean() > frame.loc[frame["建会状态"] == "未建会", "propensity"].mean()
    assert np.all(register.truth["members_if_founded"] <= frame["员工数"])


def test_a_slice_of_the_register_imports_with_no_problem(world, engine):
    _, register = world
    rows = register.enterprises.sample(3000, random_state=1)
    report = ingest.import_enterprises(engine, sample.to_csv_bytes(rows), "register.csv")
    assert report.status == "written" and report.inserted == 3000 and report.problems == []
