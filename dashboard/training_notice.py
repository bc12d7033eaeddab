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


def _text(job: Job, has_model: bool) -> str:
    meanwhile = (
        t("当前仍使用原模型。", "The current model stays in use until then.")
        if has_model
        else t("训练完成后即可生成点位计划。", "Stall plans can be made once it is done.")
    )
    if job.status == "queued":
        return (
            t(
                "已安排用新数据训练模型，即将开始；完成后自动使用。"
                if has_model
                else "已安排训练第一个模型，即将开始。",
                "A retrain on the new data is queued and starts shortly; the new model is used as soon as it is ready."
                if has_model
                else "The first model's training is queued and starts shortly.",
            )
            + (" " if lang() == "en" else "")
            + meanwhile
        )
    return (
        t(
            f"正在{'用新数据重新' if has_model else ''}训练模型……完成后自动使用"
            f"（{job.stage_text('zh')}，{job.progress:.0%}）。",
            f"{'Retraining on the new data' if has_model else 'Training the first model'}… used as soon as it is done "
            f"({job.stage_text('en')}, {job.progress:.0%}).",
        )
        + (" " if lang() == "en" else "")
        + meanwhile
    )


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
    has_model = resources.model(resources.version()) is not None
    st.progress(min(max(job.progress, 0.0), 1.0), text=_text(job, has_model))
    if lang() == "zh" and job.status == "running":
        st.caption("训练在服务器上进行，关闭此页面不会中断。")
    elif job.status == "running":
        st.caption("Training runs on the server: closing this page does not stop it.")
