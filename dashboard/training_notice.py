"""What every page says while the model retrains in the background, refreshed on its own until it is done.

Only a page that saw a retrain queued or running polls (every few seconds, until it ends). An idle tab does not:
hundreds of open tabs polling the database every five seconds kept both cores of the load test busy
(``bench/street_load.py``). A retrain that someone else starts shows on the next page a user opens.
"""

from __future__ import annotations

import streamlit as st

from dashboard import resources
from dashboard.core import access
from dashboard.core.access.scope import Scope
from dashboard.core.recommender.training import Job
from dashboard.i18n import lang, t

REFRESH_S = 5


def _text(job: Job, in_use: str) -> str:
    """The notice: what is being trained and why, how far it got, and which model plans use meanwhile.

    ``in_use`` is the model pages use now: "none" (no plan can be made yet), "quick" (the quick first model, which
    the full training replaces) or "full". The Model page says the same, so the two never disagree.
    """
    stage = f"（{job.stage_text('zh')}，{job.progress:.0%}）", f" ({job.stage_text('en')}, {job.progress:.0%})"
    if in_use == "none":
        doing = (
            ("已安排训练第一个模型，即将开始。", "The first model's training is queued and starts shortly.")
            if job.status == "queued"
            else ("正在训练第一个模型" + stage[0] + "。", "Training the first model" + stage[1] + ".")
        )
        meanwhile = ("训练完成后即可生成点位计划。", "Stall plans can be made once it is done.")
    elif in_use == "quick":
        doing = (
            ("已安排完整训练，即将开始。", "The full training is queued and starts shortly.")
            if job.status == "queued"
            else ("正在完整训练模型" + stage[0] + "。", "Training the full model" + stage[1] + ".")
        )
        meanwhile = (
            "当前使用首次启动时训练的快速模型，完整训练完成后自动换用。",
            "Plans use the quick model trained on the first start until the full one is ready.",
        )
    else:
        new_data = job.reason == "import"
        doing = (
            (
                "已安排" + ("用新数据" if new_data else "") + "重新训练模型，即将开始。",
                "A retrain" + (" on the new data" if new_data else "") + " is queued and starts shortly.",
            )
            if job.status == "queued"
            else (
                "正在" + ("用新数据" if new_data else "") + "重新训练模型" + stage[0] + "。",
                "Retraining" + (" on the new data" if new_data else "") + stage[1] + ".",
            )
        )
        meanwhile = (
            "完成后自动使用新模型，在此之前仍使用现有模型。",
            "The new model is used as soon as it is ready; until then the current one stays in use.",
        )
    return t(doing[0] + meanwhile[0], doing[1] + " " + meanwhile[1])


def in_use(loaded) -> str:
    """Which stall model the pages use: "none", "quick" (the first start's, not yet backtested) or "full"."""
    if loaded is None:
        return "none"
    return "quick" if loaded.card.get("quick") else "full"


def training_notice(current: Scope) -> None:
    """The notice of a queued or running retrain, which follows the job until it ends; nothing otherwise."""
    if st.session_state.get("_training_job") is None:
        job = access.training_status(resources.engine(), current)
        if job is None:
            return
        st.session_state["_training_job"] = job.id  # before the fragment's own look, so its end is never missed
    _following(current)


@st.fragment(run_every=REFRESH_S)
def _following(current: Scope) -> None:
    """Refreshed on its own; when the job ends (or another replaces it) the whole page reruns with the new model,
    and stops polling when nothing is left to follow."""
    job = access.training_status(resources.engine(), current)
    was = st.session_state.get("_training_job")
    if job is None or job.id != was:
        # it just finished: every cached read is keyed by the model, so a rerun shows it
        st.session_state["_training_job"] = None
        st.rerun(scope="app")
    st.progress(min(max(job.progress, 0.0), 1.0), text=_text(job, in_use(resources.model(resources.version()))))
    if lang() == "zh" and job.status == "running":
        st.caption("训练在服务器上进行，关闭此页面不会中断。")
    elif job.status == "running":
        st.caption("Training runs on the server: closing this page does not stop it.")
