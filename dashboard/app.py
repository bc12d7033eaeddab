"""Entry point: ``python -m streamlit run dashboard/app.py``. A router: sign-in first, then the pages of one's role."""

import sys
from pathlib import Path

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
from dashboard.i18n import LANGS, lang, t  # noqa: E402

st.set_page_config(
    page_title="双沟通 外联规划", page_icon=str(Path(__file__).parent / "static" / "favicon.png"), layout="wide"
)

with st.sidebar:
    st.radio("语言 / Language", list(LANGS), format_func=LANGS.get, key="lang", horizontal=True)

VIEWS = Path(__file__).parent / "views"


def pages_for(current) -> list:
    """The pages of the caller's role: leadership reads and exports but never writes; only admins manage."""
    pages = [
        st.Page(VIEWS / "map.py", title=t("地图", "Map"), icon=":material/map:", default=True),
        st.Page(VIEWS / "plan.py", title=t("计划", "Plan"), icon=":material/event:", url_path="plan"),
        st.Page(VIEWS / "kpi.py", title=t("指标", "KPIs"), icon=":material/monitoring:", url_path="kpi"),
        st.Page(VIEWS / "upload.py", title=t("上传", "Upload"), icon=":material/upload_file:", url_path="upload"),
        st.Page(VIEWS / "model.py", title=t("模型", "Model"), icon=":material/model_training:", url_path="model"),
        st.Page(VIEWS / "admin.py", title=t("管理", "Admin"), icon=":material/admin_panel_settings:", url_path="admin"),
    ]
    hidden = {"plan", "upload", "admin"} if not current.can_write else ({"admin"} if current.role != ADMIN else set())
    return [p for p in pages if p.url_path not in hidden]


def run() -> None:
    resources.engine()  # first start: create the database and load the sample before any page reads it
    current = auth.require()
    if current is None:
        login = st.Page(auth.login_page, title=t("登录", "Sign in"), icon=":material/login:", url_path="login")
        st.navigation([login]).run()
        st.stop()
    with st.sidebar:
        auth.sidebar(current)
    try:
        st.navigation(pages_for(current)).run()
    except PermissionDenied as refused:  # the core refused a read or write outside the caller's scope
        st.error(refused.text(lang()))


try:
    run()
except SQLAlchemyError as error:  # read-only, full or unreachable database: say so, without SQL or parameters
    logging.getLogger("dashboard").error("database error", exc_info=error)  # the details, for the server's log
    st.error(db.explain(error).text(lang()))
