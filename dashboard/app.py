"""Entry point: ``python -m streamlit run dashboard/app.py``. A router; the pages live in ``views/``."""

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on the path, not the repository root that holds the packages.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import resources  # noqa: E402
from dashboard.i18n import LANGS, t  # noqa: E402

st.set_page_config(page_title="双沟通 外联规划", page_icon=str(Path(__file__).parent / "static" / "favicon.png"), layout="wide")

with st.sidebar:
    st.radio("语言 / Language", list(LANGS), format_func=LANGS.get, key="lang", horizontal=True)

resources.engine()  # first start: create the database and load the sample before any page reads it

VIEWS = Path(__file__).parent / "views"
pages = [
    st.Page(VIEWS / "map.py", title=t("地图", "Map"), icon=":material/map:", default=True),
    st.Page(VIEWS / "plan.py", title=t("计划", "Plan"), icon=":material/event:", url_path="plan"),
    st.Page(VIEWS / "kpi.py", title=t("指标", "KPIs"), icon=":material/monitoring:", url_path="kpi"),
    st.Page(VIEWS / "upload.py", title=t("上传", "Upload"), icon=":material/upload_file:", url_path="upload"),
    st.Page(VIEWS / "model.py", title=t("模型", "Model"), icon=":material/model_training:", url_path="model"),
]
st.navigation(pages).run()
