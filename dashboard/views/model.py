"""模型 Model: how the recommender did on the held-out year against simple baselines, what it learned, retraining."""

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import auth, charts, resources
from dashboard.core import access
from dashboard.core.intake.columns import SITE_TYPES
from dashboard.core.recommender import calendar as cal
from dashboard.core.recommender import features, planner, recommend
from dashboard.i18n import beijing, lang, t

st.title(t("模型", "Model"))
me = auth.scope()
eng = resources.engine()
v = resources.version()
loaded = resources.model(v)
first, last = resources.data_range(me, v)

NAMES = {
    "hgb_poisson": t("梯度提升（泊松）", "Gradient boosting (Poisson)"),
    "hgb_squared": t("梯度提升（平方误差）", "Gradient boosting (squared error)"),
    "glm_poisson": t("泊松回归", "Poisson GLM"),
    "glm_hours": t("泊松回归（各类点位分时段）", "Poisson GLM with each type's hours"),
    "glm_curve": t("半小时时段曲线（泊松回归）", "Half-hour curve (Poisson GLM)"),
    "hgb_curve": t("半小时时段曲线（梯度提升）", "Half-hour curve (gradient boosting)"),
    "habit": t("基线：点位历史均值（惯例）", "Baseline: site's own average (habit)"),
    "type_average": t("基线：同类点位均值", "Baseline: site-type average"),
}

# Retraining replaces the model every district plans with: an admin's job (uploads queue one by themselves). It runs
# in the background on the server; the sidebar shows its progress on every page.
job = access.training_status(eng, me)
if me.is_admin and st.button(
    t("重新训练模型", "Retrain the model"),
    type="primary" if loaded is None else "secondary",
    key="retrain",
    disabled=job is not None,
    help=t("已有训练在进行或排队中", "A retrain is already queued or running") if job is not None else None,
):
    access.request_retrain(eng, me, "admin")
    resources.wake_training()
    st.rerun()
last_job = access.last_training(eng, me)
if last_job is not None and last_job.status == "failed" and job is None:
    failed_at = beijing(pd.Series([last_job.finished_at]))[0]
    st.error(
        t(
            f"最近一次重新训练没有成功（北京时间 {failed_at:%Y-%m-%d %H:%M}），仍在使用原模型。",
            f"The last retrain did not succeed ({failed_at:%Y-%m-%d %H:%M} Beijing time); the previous model "
            "stays in use.",
        )
        + (f" {last_job.error}" if last_job.error else "")
    )

if loaded is None:
    st.info(
        t(
            "还没有训练好的模型。第一个模型正在后台训练（进度见左侧栏），完成后这里自动显示模型评估。",
            "No trained model yet. The first one is training in the background (progress in the sidebar); its "
            "evaluation appears here when it is done.",
        )
        if job is not None
        else t(
            "还没有训练好的模型，也没有正在进行的训练：点击上面的按钮开始。",
            "No trained model yet, and none is training: press the button above to start.",
        )
        if me.is_admin
        else t(
            "还没有训练好的模型。上传新结果或由管理员训练后，这里会显示模型评估。",
            "No trained model yet. It appears here after new results are uploaded or an admin trains it.",
        )
    )
    st.stop()

for note in loaded.messages:
    st.warning(t(*note))
card = access.model_card(me, loaded.card)  # a planner's card holds no city-wide counts
bt = card["backtest"]
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("训练数据截至", "Data up to"), card["data_to"])
c2.metric(t("数据库最新场次", "Newest session stored"), str(last))
c3.metric(
    t("训练场次", "Sessions trained on"), f"{card['sessions']:,}" if "sessions" in card else t("全市", "Whole city")
)
c4.metric(t("训练时间（北京）", "Trained at (Beijing)"), f"{beijing(pd.Series([card['trained_at']]))[0]:%m-%d %H:%M}")
if last and str(last) > card["data_to"]:
    st.warning(t("数据库中有比模型更新的场次：建议重新训练。", "There are sessions newer than the model: retrain it."))


def backtest_section(bt: dict) -> None:
    """The held-out comparison against the baselines, and whether the expectations and intervals hold."""
    st.subheader(t("回测：用过去预测留出的一段", "Backtest: predicting a held-out period from the time before"))
    if str(bt.get("skipped", "")).startswith("quick"):  # store.train_quick: the full training replaces it
        st.info(
            t(
                "这是首次启动时先训练的快速模型（半小时时段曲线，泊松回归），还没有回测。完整训练会回测各候选模型、"
                "选出最好的并自动替换它，届时这里显示回测结果。",
                "This is the quick model trained first on a fresh start (half-hour curve, Poisson regression), not yet "
                "backtested. The full training backtests every candidate, keeps the best and replaces it; the "
                "backtest then appears here.",
            )
        )
        return
    if "skipped" in bt:
        st.info(
            t(
                f"历史还太短，无法留出一段做回测（{bt['skipped']}）。模型已用全部历史训练；积累更多场次后这里会显示回测。",
                f"The history is too short to hold part of it out for a backtest ({bt['skipped']}). The model was "
                "trained on all of it; a backtest appears here once more sessions are in.",
            )
        )
        return
    counts = "test_sessions" in bt
    st.caption(
        t(
            f"训练 {bt['train_from']} 至 {bt['train_to']}"
            + (f"（{bt['train_sessions']:,} 场）" if counts else "")
            + f"，检验 {bt['test_from']} 至 {bt['test_to']}"
            + (f"（{bt['test_sessions']:,} 场）" if counts else "（全市）")
            + "。泊松偏差越低越好；“前10命中率”：每周实际申请最多的10场中，模型也排进前10的比例。",
            f"Trained {bt['train_from']} to {bt['train_to']}"
            + (f" ({bt['train_sessions']:,} sessions)" if counts else "")
            + f", tested {bt['test_from']} to {bt['test_to']}"
            + (f" ({bt['test_sessions']:,})" if counts else " (whole city)")
            + (
                ". Lower Poisson deviance is better; 'top-10 hit': of each week's 10 sessions with the most "
                "applications, the share the predictor also ranked top 10."
            ),
        )
    )
    scores = pd.DataFrame(bt["scores"]).T
    scores.index = [NAMES.get(i, i) + (" ✔" if i == bt["chosen"] else "") for i in scores.index]
    for hit in ("top10_hit_applications", "top10_hit_consultations"):
        scores[hit] = scores[hit] * 100  # one percentage format across the pages: 60.6%
    st.dataframe(
        scores[
            ["deviance_applications", "top10_hit_applications", "deviance_consultations", "top10_hit_consultations"]
        ],
        column_config={
            "deviance_applications": st.column_config.NumberColumn(
                t("偏差·申请入会", "Deviance · applications"), format="%.3f"
            ),
            "top10_hit_applications": st.column_config.NumberColumn(
                t("前10命中·申请", "Top-10 hit · applications"), format="%.1f%%"
            ),
            "deviance_consultations": st.column_config.NumberColumn(
                t("偏差·咨询", "Deviance · consultations"), format="%.3f"
            ),
            "top10_hit_consultations": st.column_config.NumberColumn(
                t("前10命中·咨询", "Top-10 hit · consultations"), format="%.1f%%"
            ),
        },
        placeholder="—",
    )
    if bt.get("calibration"):
        cal_frame = pd.DataFrame(bt["calibration"])
        inside = (cal_frame["inside"] * cal_frame["sessions"]).sum() / cal_frame["sessions"].sum()
        st.markdown(
            t(
                "**预计与实际（留出期，按预计人数分十组）**",
                "**Expected against actual (held-out period, ten groups by expectation)**",
            )
        )
        top = float(max(cal_frame["expected"].max(), cal_frame["actual"].max())) * 1.05
        points = {
            "data": {"name": "groups"},
            "mark": {"type": "circle", "size": 90},
            "encoding": {
                "x": charts.field(
                    "expected",
                    "quantitative",
                    title=t("预计场均申请入会", "Expected applications per session"),
                    scale={"domain": [0, top]},
                ),
                "y": charts.field(
                    "actual",
                    "quantitative",
                    title=t("实际场均申请入会", "Actual applications per session"),
                    scale={"domain": [0, top]},
                ),
                "tooltip": [  # titled: a tooltip otherwise shows the frame's English column names
                    charts.field("expected", "quantitative", format=".1f", title=t("预计场均", "Expected")),
                    charts.field("actual", "quantitative", format=".1f", title=t("实际场均", "Actual")),
                    charts.field(
                        "inside", "quantitative", format=".0%", title=t("落在80%区间内", "Inside the 80% interval")
                    ),
                    charts.field("sessions", "quantitative", format=",", title=t("场次", "Sessions")),
                ],
            },
        }
        diagonal = {
            "data": {"name": "diagonal"},
            "mark": {"type": "line", "strokeDash": [4, 4], "color": "#888"},
            "encoding": {"x": charts.field("v", "quantitative"), "y": charts.field("v", "quantitative")},
        }
        charts.show(
            st,
            charts.spec(
                {"groups": cal_frame, "diagonal": pd.DataFrame({"v": [0, top]})},
                {"layer": [diagonal, points], "height": 300},
            ),
        )
        st.caption(
            t(
                f"点落在虚线上说明预计准确；留出期有 {inside:.0%} "
                "的场次实际人数落在计划给出的80%区间内（区间诚实时约为80%）。",
                f"Points on the dashed line mean the expectation was right; {inside:.0%} of held-out sessions fell "
                "inside their 80% interval (about 80% when intervals are honest).",
            )
        )


backtest_section(bt)

st.subheader(t("计划与实际", "Plans against actual results"))
overview = access.plans_overview(eng, me)
if not overview["reported"]:
    st.caption(
        t(
            "还没有保存过并上传了结果的计划。保存计划、按结果登记表上传后，这里汇总预计和实际。",
            "No saved plan has results yet. Save a plan and upload its results sheet to see expectations against "
            "results here.",
        )
    )
else:
    o1, o2, o3, o4 = st.columns(4)
    o1.metric(t("有结果的计划场次", "Planned sessions with results"), f"{overview['reported']:,}")
    o2.metric(t("预计申请入会", "Expected applications"), f"{overview['expected']:,.0f}")
    o3.metric(t("实际申请入会", "Actual applications"), f"{overview['actual']:,}")
    o4.metric(
        t("落在80%区间内", "Within the 80% interval"),
        "—" if overview["coverage"] is None else f"{overview['coverage']:.0%}",
    )

st.subheader(t("边做边学：试新点位、新时段", "Learning while planning: trying new sites and hours"))
st.caption(
    t(
        "“计划”页默认打开“边做边学”：模型对每个点位有多大把握，计划就按这份把握抽一次可能的情况来排"
        "（汤普森抽样）。没去过或了解不多的点位，只要有可能是最好的，就会被排上；结果上传、重新训练后，"
        "不好的自然不再排。时段按学到的时段曲线：没在某点位试过的时段沿用同类点位的曲线。"
        "把握多大来自数据本身（各点位与同类点位实际差多少），不是人为设定的比例。"
        "在“计划→上传结果→重新训练→再计划”的十周闭环测试中：" + planner.EXPLORATION_EVIDENCE[0],
        "The Plan page learns while planning by default: the plan is made from one draw of what each site may bring, "
        "given how sure the model is of it (Thompson sampling). A site never visited, or one little is known of, gets "
        "a session when it may be the best; once its results are uploaded and the model retrained, poor ones are "
        "dropped. Hours follow the learned curve: an hour never tried at a site keeps its type's curve. How unsure "
        "the model is comes from the data (how much sites really differ from their type), not from a set share. On "
        "a ten-week closed loop of plan, results, retraining and the next "
        "plan (the project's loop benchmark): " + planner.EXPLORATION_EVIDENCE[1],
    )
)

st.subheader(t("模型学到的最佳时段", "Best hours the model learned"))
sites = access.model_sites(eng, me)
if sites.empty:  # a street union whose street has no sites yet: no typical site to chart
    st.caption(
        t(
            "您负责的范围内还没有点位，暂时画不出典型点位的最佳时段；上传点位后即可看到。",
            "There are no sites in your area yet, so there is no typical site to chart; upload sites to see it.",
        )
    )
else:
    start = (last or dt.date.today()) + dt.timedelta(days=1)
    days = recommend.typical_days(start)
    windows = np.arange(6 * 60, 20 * 60 + 1, 30)
    reps = (
        sites.groupby("model_type")
        .agg(district=("district", lambda s: s.mode().iat[0]), workers_nearby=("workers_nearby", "median"))
        .reset_index()
    )
    rows = [
        {
            "site_id": f"__{r.model_type}",
            "model_type": r.model_type,
            "district": r.district,
            "workers_nearby": r.workers_nearby,
            "date": pd.Timestamp(day),
            "start_min": int(w),
            "end_min": int(w) + 120,
            "day_type": dtp,
        }
        for r in reps.itertuples()
        for dtp, day in days.items()
        for w in windows
    ]
    grid = pd.DataFrame(rows)
    grid["expected"] = loaded.model.predict_mean(grid, "applications", features.build(grid))
    # the chart's fields named in the reader's language: its tooltips and screen-reader texts name them
    kind, day_kind, start_at = t("点位类型", "Site type"), t("日子", "Day"), t("开始时间", "Start")
    expected = t("预计申请", "Expected")
    grid[kind] = grid["model_type"].map(lambda k: SITE_TYPES.get(k, k) if lang() == "zh" else k)
    grid[day_kind] = grid["day_type"].map(cal.DAY_TYPE_LABELS if lang() == "zh" else {k: k for k in cal.DAY_TYPES})
    grid[start_at] = [f"{m // 60:02d}:{m % 60:02d}" for m in grid["start_min"]]
    grid = grid.rename(columns={"expected": expected})[[kind, day_kind, start_at, expected]]
    cells = {
        "mark": {"type": "rect"},
        "encoding": {
            "x": charts.field(start_at, "ordinal", title=t("开始时间（2小时场次）", "Start (2-hour session)")),
            "y": charts.field(kind, "nominal", title=None),
            "color": charts.field(expected, "quantitative", scale={"scheme": "yelloworangered"}),
            "tooltip": [
                charts.field(kind, "nominal"),
                charts.field(day_kind, "nominal"),
                charts.field(start_at, "ordinal"),
                charts.field(expected, "quantitative", format=".1f"),
            ],
        },
        "height": 220,
    }
    charts.show(
        st,
        charts.spec(
            {"grid": grid},
            {"data": {"name": "grid"}, "facet": {"row": charts.field(day_kind, "nominal", title=None)}, "spec": cells},
        ),
    )
    st.caption(
        t(
            "每类点位取典型规模、最常见的区、近期未去过；数值为模型预计的一场2小时职工沟通会的现场申请入会人数。",
            "A typical site of each type (median size, its most common district, not visited recently); values are the "
            "model's expected on-site applications for one 2-hour session.",
        )
    )


CARD_LABELS = {
    "estimator": ("所选模型", "Estimator"),
    "trained_at": ("训练时间（北京时间）", "Trained at (Beijing time)"),
    "data_from": ("训练数据起", "Data from"),
    "data_to": ("训练数据止", "Data to"),
    "sessions": ("训练用职工沟通会场次", "Worker sessions trained on"),
    "sites_with_history": ("有历史的点位", "Sites with history"),
    "data_hash": ("数据指纹", "Data hash (SHA-256)"),
    "random_state": ("随机种子", "Random state"),
    "train_seconds": ("训练用时（秒）", "Training time (s)"),
    # 1: the history bears the published rest times out; 0: the model starts from the data's own hours
    "published_hours_weight": ("公布的休息时段吻合度（0–1）", "Published rest times borne out (0-1)"),
}
VERSION_LABELS = {"feature_version": ("特征版本", "Feature version")}


def card_rows(card: dict) -> pd.DataFrame:
    """The model card as a two-column table in the user's language; values as recorded."""
    rows = []
    for key, (zh, en) in CARD_LABELS.items():
        if key not in card:
            continue  # a planner's card leaves out the city's counts and the data hash
        value = card[key]
        if key == "estimator":
            value = NAMES.get(value, value)
        elif key == "trained_at":
            value = f"{beijing(pd.Series([value]))[0]:%Y-%m-%d %H:%M}"
        elif isinstance(value, int):
            value = f"{value:,}"
        elif isinstance(value, float):
            value = f"{value:g}"
        rows.append({"item": t(zh, en), "value": str(value)})
    for name, version in card.get("versions", {}).items():
        zh, en = VERSION_LABELS.get(name, (f"{name} 版本", f"{name} version"))
        rows.append({"item": t(zh, en), "value": str(version)})
    return pd.DataFrame(rows, columns=["item", "value"])


with st.expander(t("模型说明（技术）", "Model card (technical)")):
    st.dataframe(
        card_rows(card),
        hide_index=True,
        column_config={"item": t("项目", "Item"), "value": t("内容", "Value")},
        width="stretch",
        placeholder="—",
    )


def visit_model_section() -> None:
    """The enterprise-visit model: what it was trained on, and how its ranking did against simple rules."""
    st.subheader(t("企业走访模型：90天内建会的可能性", "Visit model: P(founding a union within 90 days)"))
    visit = resources.visit_model(v)
    if visit is None:
        st.info(
            t(
                "还没有训练好的企业走访模型：它和上面的模型一起在后台训练（需要企业名录和沟通记录）。在此之前，"
                "走访计划按员工规模和总体建会率估计。",
                "No visit model yet: it is trained in the background with the model above (it needs the register "
                "and visits). Until then visit plans rank by staff and the overall founding rate.",
            )
        )
        return
    if visit.stale:
        st.caption(
            t("训练后又导入了企业或沟通记录，后台将重新训练。", "New enterprise data since training; a retrain is due.")
        )
    model_card, bt = visit.card["model"], visit.card.get("backtest", {})
    city = me.districts is None  # counts are city-wide: shown to those who read the whole city
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("数据截至", "Data up to"), str(model_card.get("data_to") or "—"))
    c2.metric(t("训练用沟通记录", "Visits trained on"), f"{model_card['rows']:,}" if city else t("全市", "Whole city"))
    c3.metric(
        t("模型", "Estimator"),
        {"logit": t("逻辑回归", "Logistic regression"), "hgb": t("梯度提升", "Gradient boosting")}.get(
            model_card["estimator"], t("先验（记录太少）", "Prior (too few visits)")
        ),
    )
    c4.metric(
        t("区分能力", "AUC"),
        f"{bt['auc']:.2f}" if "auc" in bt else "—",
        help=t(
            "把后来建会的企业排在没建会的企业前面的概率（回测）：0.5 等于随机，1 为完全区分。",
            "The chance a founding enterprise is ranked above one that did not found (backtest): 0.5 is random.",
        ),
    )
    if "members_captured_model" not in bt:
        st.caption(t("沟通记录太短，无法回测。", "Too short a history to backtest.") + f" {bt.get('skipped', '')}")
        return
    # the city's counts for those who read the whole city; a planner reads the shares
    tested = f"{bt['test_visits']:,} 家" if city else t("全市的", "city's")
    top = f"前 {bt['k']:,} 家" if city else t("前列", "first")
    top_en = f"top {bt['k']:,}" if city else "first ones"
    rows = [
        (t("本模型（建会可能性 × 预计会员）", "This model (P × expected members)"), bt["members_captured_model"]),
        (t("基线：员工最多的先走访", "Baseline: largest first"), bt["members_captured_largest"]),
        (t("基线：最久未走访的先走访", "Baseline: longest unvisited first"), bt["members_captured_unvisited"]),
        (t("随机顺序", "Random order"), bt["members_captured_random"]),
    ]
    st.dataframe(
        pd.DataFrame(rows, columns=["policy", "share"]),
        hide_index=True,
        width="stretch",
        column_config={
            "policy": t("排序方法", "Ranking"),
            "share": st.column_config.ProgressColumn(
                t("排在前面的企业带来的建会会员占比", "Share of members founded, top of the ranking"),
                format="percent",
                min_value=0.0,
                max_value=1.0,
            ),
        },
        placeholder="—",
    )
    st.caption(
        t(
            f"回测：用 {visit.card['backtest_cutoff']} 之前的记录训练，把其后 90 天实际走访过的 "
            f"{tested}企业按各方法排序，看排在{top}的企业占了多少后来建会带来的会员。"
            f"模型的对数损失 {bt['log_loss']:.3f}，"
            f"按总体建会率估计为 {bt['log_loss_constant']:.3f}（越低越好）。只能评价实际走访过的企业：从没走访过的企业"
            "会不会建会，历史记录无法告诉任何方法。",
            f"Backtest: trained on the records before {visit.card['backtest_cutoff']}, each method ranks the "
            f"{tested.replace(' 家', '')} enterprises actually visited in the 90 days after; the share of the "
            f"members their foundings brought that the {top_en} hold. Log-loss {bt['log_loss']:.3f} against "
            f"{bt['log_loss_constant']:.3f} for the overall rate (lower is better). Only visited enterprises can be "
            "judged: whether one never visited would have founded, no history can tell any method.",
        )
    )
    if bt.get("calibration"):  # models trained before the calibration was kept have none to show
        st.markdown(t("**预测的建会可能性是否可信（分组校准）**", "**Is the predicted P honest? (calibration)**"))
        deciles = pd.DataFrame(bt["calibration"])
        predicted, realised = t("预测建会可能性 %", "Predicted P %"), t("实际建会比例 %", "Realised share %")
        chart = pd.DataFrame(
            {
                t("分组（按预测从低到高）", "Group (low to high P)"): deciles["decile"],
                predicted: (100 * deciles["predicted"]).round(1),
                realised: (100 * deciles["realised"]).round(1),
            }
        ).set_index(t("分组（按预测从低到高）", "Group (low to high P)"))
        series, share = t("曲线", "Line"), t("百分比", "Per cent")
        group = chart.index.name
        long = chart.reset_index().melt(id_vars=group, var_name=series, value_name=share)
        charts.show(  # not st.line_chart: its tooltips and screen-reader texts say "value" in English
            st,
            charts.spec(
                {"deciles": long},
                {
                    "data": {"name": "deciles"},
                    "mark": {"type": "line", "point": True},
                    "encoding": {
                        "x": charts.field(group, "ordinal", axis={"labelAngle": 0}),
                        # as st.line_chart drew it
                        "y": charts.field(share, "quantitative", title=share, scale={"zero": False}),
                        "color": charts.field(series, "nominal", title=None, legend={"orient": "bottom"}),
                        "tooltip": [
                            charts.field(group, "ordinal"),
                            charts.field(series, "nominal"),
                            charts.field(share, "quantitative", format=".1f"),
                        ],
                    },
                    "height": 220,
                },
            ),
        )
        worst = float((deciles["predicted"] - deciles["realised"]).abs().max())
        windows = int(bt.get("calibration_windows", 1))
        # the city's count only for those who read the city (a district's planner reads "the city's")
        pooled = int(deciles["visits"].sum())
        zh_visits, en_visits = (f"的 {pooled:,} 次", f"{pooled:,}") if city else ("全市的", "the city's")
        st.caption(
            t(
                f"回测最近 {windows} 个 90 天里{zh_visits}实际走访（每段只用当时以前的记录训练），按预测的建会可能性"
                "分成若干组，每组的平均预测值和 90 天内实际建会的比例；两条线越接近越可信。"
                f"最大相差 {100 * worst:.1f} 个百分点。",
                f"The {en_visits} visits made in the backtest's last {windows} windows of 90 days (each judged by a "
                "model trained on what was known before it), grouped by predicted P: each group's mean prediction "
                "beside the share that founded within 90 days; the closer the lines, the more honest. Largest gap "
                f"{100 * worst:.1f} points.",
            )
        )


visit_model_section()
