"""Page runs in one app process: a few at a time (resources.run_slot), and the data version read once per run."""

import threading

import pytest

from dashboard import resources


def test_no_more_page_runs_at_once_than_the_slots_and_every_one_runs(monkeypatch):
    monkeypatch.setattr(resources, "_SLOTS", threading.BoundedSemaphore(3))
    running, most, done = [0], [0], []
    lock = threading.Lock()
    together = threading.Barrier(3, timeout=10)  # three runs at once must happen, or this breaks

    def page_run(i: int) -> None:
        with resources.run_slot():
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            together.wait()  # a page's work, while the other runs ask for a slot
            with lock:
                running[0] -= 1
                done.append(i)

    threads = [threading.Thread(target=page_run, args=(i,)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(done) == list(range(24)) and most[0] == 3


def test_a_run_that_fails_gives_its_slot_back(monkeypatch):
    monkeypatch.setattr(resources, "_SLOTS", threading.BoundedSemaphore(1))
    with pytest.raises(RuntimeError), resources.run_slot():
        raise RuntimeError("a page's error, st.stop or st.rerun")
    assert resources._SLOTS.acquire(timeout=1)  # free again


@pytest.mark.parametrize(("setting", "slots"), [(None, 4), ("2", 2), ("0", 1), ("many", 4)])
def test_the_number_of_slots_is_a_setting(monkeypatch, setting, slots):
    if setting is None:
        monkeypatch.delenv("OUTREACH_CONCURRENT_RUNS", raising=False)
    else:
        monkeypatch.setenv("OUTREACH_CONCURRENT_RUNS", setting)
    assert resources._concurrent_runs() == slots


def test_the_data_version_is_read_once_per_run_and_again_after_a_write(monkeypatch):
    reads = []
    monkeypatch.setattr(resources.access, "data_version", lambda engine: reads.append(1) or f"v{len(reads)}")
    monkeypatch.setattr(resources.access, "model_stamp", lambda: "m")
    monkeypatch.setattr(resources, "engine", lambda: None)
    resources.new_run()
    assert resources.version() == resources.version() == resources.version() == "v1:m"
    resources.new_run()  # the next run
    assert resources.version() == "v2:m"
    monkeypatch.setattr(resources.st.cache_data, "clear", lambda: None)
    resources.data_changed()  # a write in this run
    assert resources.version() == "v3:m" and len(reads) == 3
