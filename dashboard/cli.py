"""Command line: ``python -m dashboard COMMAND``. Every job the dashboard does can be scripted from here.

The database is ``OUTREACH_DB_URL`` (default: the embedded SQLite file). Exit status: 0 on success, 1 when
a file is refused (the report says why), 2 for a wrong command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from pathlib import Path

import pandas as pd

from .core import db, districts, ingest, kpi
from .core.messages import ERROR, Problem

MAX_PRINTED_PROBLEMS = 50


def _say(zh: str, en: str, lang: str) -> str:
    return {"zh": zh, "en": en}.get(lang, f"{zh} / {en}")


def _problem_line(p: Problem, lang: str) -> str:
    mark = "✗" if p.severity == ERROR else "!"
    where = []
    if p.row is not None:
        where.append(_say(f"第{p.row}行", f"row {p.row}", lang))
    if p.column:
        where.append(p.column)
    prefix = f"{mark} {' · '.join(where)}: " if where else f"{mark} "
    return prefix + _say(p.zh, p.en, lang)


def _print_report(report: ingest.ImportReport, source: Path, lang: str) -> None:
    status = {
        "written": ("已导入", "imported"),
        "dry_run": ("检查通过（试运行，未写入）", "valid (dry run, nothing written)"),
        "refused": ("未导入：发现错误，数据库没有任何改动", "refused: errors found, the database is unchanged"),
        "unreadable": ("未导入：无法读取文件", "refused: the file cannot be read"),
    }[report.status]
    print(f"{source.name}: {_say(*status, lang)}")
    if report.status != "unreadable":
        c = report.counts()
        print(
            _say(
                f"共 {c['total']} 行：新增 {c['inserted']}，更新 {c['updated']}，未变 {c['unchanged']}，拒绝 {c['rejected']}"
                + (f"；新建点位 {c['new_sites']}" if c["new_sites"] else ""),
                f"{c['total']} rows: {c['inserted']} inserted, {c['updated']} updated, {c['unchanged']} unchanged, "
                f"{c['rejected']} rejected" + (f"; {c['new_sites']} new sites" if c["new_sites"] else ""),
                lang,
            )
        )
    errors = report.errors
    for p in errors[:MAX_PRINTED_PROBLEMS]:
        print(_problem_line(p, lang))
    # warnings of one kind are summarised: a thousand identical lines hide the one that matters
    by_code: dict[str, list[Problem]] = {}
    for p in report.problems:
        if p.severity != ERROR:
            by_code.setdefault(p.code, []).append(p)
    for group in by_code.values():
        for p in group[:3]:
            print(_problem_line(p, lang))
        if len(group) > 3:
            rows = [p.row for p in group if p.row is not None]
            print(_say(f"! 同类提示另有 {len(group) - 3} 行", f"! {len(group) - 3} more rows with the same note", lang)
                  + (f" ({rows[3]}–{rows[-1]})" if len(rows) > 3 else ""))
    if len(errors) > MAX_PRINTED_PROBLEMS and source.is_file():
        path = source.with_name(source.stem + ".problems.csv")
        pd.DataFrame([p.as_dict() for p in report.problems]).to_csv(path, index=False, encoding="utf-8-sig")
        more = len(errors) - MAX_PRINTED_PROBLEMS
        print(_say(f"……另有 {more} 个错误，完整列表见 {path}", f"... and {more} more errors; the full list is in {path}", lang))
    elif len(errors) > MAX_PRINTED_PROBLEMS:
        print(_say(f"……另有 {len(errors) - MAX_PRINTED_PROBLEMS} 个错误", f"... and {len(errors) - MAX_PRINTED_PROBLEMS} more errors", lang))
    if report.status == "written" and len(report.rejected_rows) and source.is_file():
        path = source.with_name(source.stem + ".rejected.csv")
        report.rejected_rows.to_csv(path, index=False, encoding="utf-8-sig")
        print(_say(f"被拒绝的行及原因已写入 {path}", f"rejected rows and their reasons were written to {path}", lang))


def _engine():
    engine = db.make_engine()
    if not db.is_current(engine):
        db.upgrade(engine)
    return engine


def cmd_init(args) -> int:
    engine = db.make_engine()
    before, after = db.upgrade(engine)
    if before == after:
        print(_say(f"数据库已是最新版本（{after}）", f"database already at the newest version ({after})", args.lang))
    else:
        print(_say(f"数据库已从 {before or '空'} 升级到 {after}", f"database upgraded from {before or 'empty'} to {after}", args.lang))
    return 0


def cmd_sample(args) -> int:
    from data import sample

    engine = _engine()
    reports = sample.load(engine, seed=args.seed, user=args.user)
    for report in reports:
        _print_report(report, Path(report.file_name), args.lang)
    return 0 if all(r.ok for r in reports) else 1


def cmd_import(args) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(_say(f"找不到文件：{path}", f"no such file: {path}", args.lang), file=sys.stderr)
        return 1
    engine = _engine()
    common = dict(dry_run=args.dry_run, skip_invalid=args.skip_invalid, user=args.user)
    if args.what == "sites":
        report = ingest.import_sites(engine, path.read_bytes(), path.name, coords=args.coords, **common)
    else:
        report = ingest.import_sessions(engine, path.read_bytes(), path.name, **common)
    _print_report(report, path, args.lang)
    if args.what == "sessions" and report.status == "written" and (report.inserted or report.updated) and not args.no_retrain:
        _retrain_if_trained(engine, args.lang)
    return 0 if report.ok else 1


def _retrain_if_trained(engine, lang: str) -> None:
    """New results change what the model should know: refresh a model that exists (training takes under a minute)."""
    from .core import store

    if not (store.model_dir() / f"{store.MODEL_NAME}.joblib").exists():
        return
    print(_say("已导入新结果，正在重新训练推荐模型……", "new results imported: retraining the recommender...", lang), flush=True)
    try:
        loaded = store.train(engine)
    except ValueError as exc:  # the import stands; only the model could not be refreshed
        print(_say(f"导入已完成，但模型未能重新训练：{exc}", f"the import is done, but the model was not retrained: {exc}", lang))
        return
    print(_say(f"模型已更新（数据截至 {loaded.card['data_to']}）", f"model updated (data to {loaded.card['data_to']})", lang))


def cmd_calendar(args) -> int:
    from .core import calendar as cal

    engine = _engine()
    if args.action == "set":
        cal.set_override(engine, args.date, args.day_type, note=args.note, user=args.user)
        print(_say(f"{args.date} 已设为 {cal.DAY_TYPE_LABELS[args.day_type]}", f"{args.date} set to {args.day_type}", args.lang))
    elif args.action == "unset":
        cal.set_override(engine, args.date, None)
        print(_say(f"{args.date} 恢复为官方日历", f"{args.date} back to the official calendar", args.lang))
    else:
        overrides = cal.load_overrides(engine)
        days = pd.date_range(f"{args.year}-01-01", f"{args.year}-12-31", freq="D").date
        for day in days:
            info = cal.day_info(day, overrides)
            weekend = day.weekday() >= 5
            if info.day_type in (cal.HOLIDAY, cal.MAKEUP) or (info.day_type == cal.WORKDAY and weekend) or day in overrides:
                flag = _say("（推算）", " (provisional)", args.lang) if info.provisional else ""
                print(f"{day} {day.strftime('%a')} {_say(cal.DAY_TYPE_LABELS[info.day_type], info.day_type, args.lang)}{flag} {info.holiday_name or ''}")
    return 0


def _district_arg(value: str) -> str:
    code = districts.resolve(value)
    if code is None:
        raise argparse.ArgumentTypeError(f"未知的区 / unknown district: {value}")
    return code


def cmd_kpi(args) -> int:
    engine = _engine()
    result = kpi.totals(engine, district=args.district, date_from=args.date_from, date_to=args.date_to)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    for key, value in result.items():
        zh, en = kpi.LABELS[key]
        print(f"{_say(zh, en, args.lang):<40} {value:>12,}")
    return 0


def _hours_arg(value: str) -> tuple[int, int]:
    try:
        a, b = value.replace("–", "-").split("-")
        to_min = lambda t: int(t.split(":")[0]) * 60 + (int(t.split(":")[1]) if ":" in t else 0)  # noqa: E731
        return to_min(a), to_min(b)
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(f"时段应写成 06:00-22:00 / hours look like 06:00-22:00, not {value}") from None


def cmd_train(args) -> int:
    from .core import store

    engine = _engine()
    loaded = store.train(engine, progress=lambda f, m: print(f"  {f:4.0%} {m}", flush=True))
    card = loaded.card
    bt = card["backtest"]
    print(_say(f"模型已保存（{card['estimator']}，{card['sessions']:,} 场，用时 {card['train_seconds']} 秒）", f"model saved ({card['estimator']}, {card['sessions']:,} sessions, {card['train_seconds']} s)", args.lang))
    print(_say(f"回测（{bt['test_from']} 至 {bt['test_to']}，{bt['test_sessions']:,} 场）：", f"backtest ({bt['test_from']} to {bt['test_to']}, {bt['test_sessions']:,} sessions):", args.lang))
    for name, sc in bt["scores"].items():
        print(f"  {name:<14} deviance(applications) {sc['deviance_applications']:6.3f}   top-10 hit {sc['top10_hit_applications']:.2f}")
    return 0


def cmd_recommend(args) -> int:
    from .core import planner, recommend

    engine = _engine()
    request = planner.PlanRequest(
        start=args.start,
        days=args.days,
        teams=args.teams,
        per_team_per_day=args.per_team,
        length_min=args.length,
        hours=args.hours,
        district=args.district,
        exclude=set(args.exclude or []),
    )
    if args.booked:
        from .core import plans

        try:
            request.booked = plans.read_booked(Path(args.booked).read_bytes())
        except (OSError, ValueError) as exc:
            print(str(exc), file=sys.stderr)
            return 1
    try:
        request.validate()
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    plan, messages = recommend.recommend(engine, request)
    for m in messages:
        print(m)
    if args.out:
        from .core.export import write_csv

        write_csv(plan, Path(args.out), lang=args.lang)
        print(_say(f"计划已写入 {args.out}（{len(plan)} 场）", f"plan written to {args.out} ({len(plan)} sessions)", args.lang))
    else:
        cols = ["team", "date", "start_time", "end_time", "site_id", "site_name", "district", "expected_applications", "applications_low", "applications_high", "reason"]
        with pd.option_context("display.max_rows", 500, "display.width", 250, "display.max_colwidth", 60):
            print(plan[cols].to_string(index=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="双沟通 outreach planning: data and model jobs")
    parser.add_argument("--lang", choices=("zh", "en", "both"), default="both", help="language of messages (default both)")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("init", help="create or upgrade the database schema").set_defaults(func=cmd_init)

    p = sub.add_parser("sample", help="load the reproducible sample data (sites and 2018-2026 sessions)")
    p.add_argument("--seed", type=int, default=20180401)
    p.add_argument("--user", default="sample")
    p.set_defaults(func=cmd_sample)

    for what in ("sites", "sessions"):
        group = sub.add_parser(what, help=f"{what} files").add_subparsers(dest="action", required=True)
        p = group.add_parser("import", help=f"import a {what} file (CSV or .xlsx)")
        p.add_argument("file")
        p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
        p.add_argument("--skip-invalid", action="store_true", help="import the valid rows, write the rejected ones beside the file")
        p.add_argument("--user", default=getpass.getuser(), help="who imports (for the audit log)")
        if what == "sessions":
            p.add_argument("--no-retrain", action="store_true", help="do not retrain an existing model after the import")
        if what == "sites":
            p.add_argument("--coords", choices=("wgs84", "gcj02"), default="wgs84", help="coordinate system of lat/lon (gcj02: copied from Gaode)")
        p.set_defaults(func=cmd_import, what=what)

    p = sub.add_parser("kpi", help="headline totals")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--district", type=_district_arg, help="朝阳区, 朝阳 or 110105")
    p.add_argument("--from", dest="date_from", type=dt.date.fromisoformat, help="first date, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=dt.date.fromisoformat, help="last date, YYYY-MM-DD (inclusive)")
    p.set_defaults(func=cmd_kpi)

    sub.add_parser("train", help="backtest, choose and train the recommender; save it under models/").set_defaults(func=cmd_train)

    p = sub.add_parser("recommend", help="plan where and when teams should hold worker sessions")
    p.add_argument("--start", type=dt.date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--teams", type=int, default=4)
    p.add_argument("--per-team", type=int, default=1, help="sessions per team per day (default 1)")
    p.add_argument("--length", type=int, default=120, help="session length in minutes (default 120)")
    p.add_argument("--hours", type=_hours_arg, default=(6 * 60, 22 * 60), help="allowed hours (default 06:00-22:00)")
    p.add_argument("--district", type=_district_arg, help="only sites in this district")
    p.add_argument("--exclude", nargs="*", metavar="SITE_ID", help="site ids to leave out")
    p.add_argument("--booked", metavar="FILE", help="sessions already arranged (site_id, date, start_time, end_time): not repeated, their saturation counted")
    p.add_argument("--out", help="write the plan as CSV (UTF-8 with BOM, opens in Excel)")
    p.set_defaults(func=cmd_recommend)

    group = sub.add_parser("calendar", help="official holidays, make-up working days, and admin overrides").add_subparsers(dest="action", required=True)
    p = group.add_parser("show", help="list a year's holidays and make-up working days")
    p.add_argument("year", type=int)
    p.set_defaults(func=cmd_calendar)
    p = group.add_parser("set", help="override one date (e.g. next year's make-up day before the library knows it)")
    p.add_argument("date", type=dt.date.fromisoformat)
    p.add_argument("day_type", choices=("workday", "weekend", "holiday", "makeup_workday"))
    p.add_argument("--note")
    p.add_argument("--user", default=getpass.getuser())
    p.set_defaults(func=cmd_calendar)
    p = group.add_parser("unset", help="remove an override")
    p.add_argument("date", type=dt.date.fromisoformat)
    p.set_defaults(func=cmd_calendar)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
