"""The Streamlit script (served by ``dashboard/server.py``). A router: sign-in first, then the pages of one's role."""

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # as in dashboard/server.py, for `streamlit run dashboard/app.py`

# `streamlit run dashboard/app.py` puts dashboard/ on the path, not the repository root that holds the packages.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import logging  # noqa: E402

import streamlit as st  # noqa: E402
from sqlalchemy.exc import SQLAlchemyError  # noqa: E402

from dashboard import auth, resources  # noqa: E402
from dashboard.core.access.scope import ADMIN, PermissionDenied  # noqa: E402
from dashboard.core.storage import db  # noqa: E402
from dashboard.i18n import LANGS, chinese_builtins, lang, t  # noqa: E402
from dashboard.training_notice import training_notice  # noqa: E402

st.set_page_config(
    page_title="双沟通 外联规划", page_icon=str(Path(__file__).parent / "static" / "favicon.png"), layout="wide"
)

with st.sidebar:
    st.radio("语言 / Language", list(LANGS), format_func=LANGS.get, key="lang", horizontal=True)
    chinese_builtins()

VIEWS = Path(__file__).parent / "views"


def pages_for(current) -> list:
    """The pages of the caller's role: leadership reads and exports but never writes; only admins manage."""
    pages = [
        st.Page(VIEWS / "map.py", title=t("地图", "Map"), icon=":material/map:", default=True),
        st.Page(VIEWS / "plan.py", title=t("计划", "Plan"), icon=":material/event:", url_path="plan"),
        st.Page(
            VIEWS / "enterprises.py", title=t("企业", "Enterprises"), icon=":material/domain:", url_path="enterprises"
        ),
        st.Page(VIEWS / "kpi.py", title=t("指标", "KPIs"), icon=":material/monitoring:", url_path="kpi"),
        st.Page(
            VIEWS / "reporting.py", title=t("填报", "Reporting"), icon=":material/fact_check:", url_path="reporting"
        ),
        st.Page(VIEWS / "teams.py", title=t("小组", "Teams"), icon=":material/groups:", url_path="teams"),
        st.Page(VIEWS / "upload.py", title=t("上传", "Upload"), icon=":material/upload_file:", url_path="upload"),
        st.Page(VIEWS / "model.py", title=t("模型", "Model"), icon=":material/model_training:", url_path="model"),
        st.Page(VIEWS / "admin.py", title=t("管理", "Admin"), icon=":material/admin_panel_settings:", url_path="admin"),
    ]
    hidden = (
        {"plan", "upload", "admin", "teams"}
        if not current.can_write
        else ({"admin"} if current.role != ADMIN else set())
    )
    return [p for p in pages if p.url_path not in hidden]


PAGE_PATHS = ("plan", "enterprises", "kpi", "reporting", "teams", "upload", "model", "admin")


def run() -> None:
    resources.new_run()  # the data version is read once per run (resources.version)
    resources.engine()  # first start: create the database and load the sample before any page reads it
    resources.training_worker()  # this process's background retrainer (queues the first training if needed)
    current = auth.require()
    with st.sidebar:
        auth.cookie_exchange()  # the sign-in cookie is set (or cleared) by the server, through a same-origin request
    if current is None:
        # Every page's address shows the sign-in form, so a bookmark or a reloaded deep link asks for a sign-in and
        # then opens the page it named (the real page has the same address and takes over after sign-in).
        title = t("登录", "Sign in")
        login = [st.Page(auth.login_page, title=title, icon=":material/login:", default=True)]
        login += [st.Page(auth.login_page, title=title, url_path=path) for path in PAGE_PATHS]
        st.navigation(login, position="hidden").run()
        st.stop()
    with st.sidebar:
        auth.sidebar(current)
        training_notice(current)
    try:
        pages = pages_for(current)
        page = st.navigation(pages)
        if not st.session_state.get("landed"):  # the first page of a session: a leader lands on the KPIs
            st.session_state["landed"] = True
            if not current.can_write and page.url_path == pages[0].url_path:
                st.switch_page(next(p for p in pages if p.url_path == "kpi"))
        page.run()
    except PermissionDenied as refused:  # the core refused a read or write outside the caller's scope
        st.error(refused.text(lang()))


try:
    with resources.run_slot():  # a few page runs at a time in this process (see resources.run_slot)
        run()
except SQLAlchemyError as error:  # read-only, full or unreachable database: say so, without SQL or parameters
    logging.getLogger("dashboard").error("database error", exc_info=error)  # the details, for the server's log
    st.error(db.explain(error).text(lang()))
