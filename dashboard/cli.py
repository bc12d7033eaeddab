"""Command line: ``python -m dashboard COMMAND``. Every job the dashboard does can be scripted from here.

The database is ``OUTREACH_DB_URL`` (default: the embedded SQLite file). Commands run as the server's operator
(full rights, recorded in the audit log as ``system:<login>``: whoever holds the database URL can change anything
anyway) or, with ``--as NAME``, as that account with its role and districts (password from ``OUTREACH_PASSWORD``,
a prompt, or the first line of stdin).

Exit status: 0 on success, 1 when a file or a change is refused (the message says why), 2 for a wrong command,
3 when sign-in fails or the account may not do this, 4 when the database cannot do it (read-only, full, unreachable:
the message says what to do; ``OUTREACH_DEBUG=1`` shows the driver's own error).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from pathlib import Path

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from dashboard.core import access
from dashboard.core.access.accounts import AccountError
from dashboard.core.access.scope import PermissionDenied, Scope
from dashboard.core.export import write_csv
from dashboard.core.geo import areas, districts, streets
from dashboard.core.intake import ingest
from dashboard.core.messages import ERROR, Problem
from dashboard.core.reports import briefing, kpi, periods
from dashboard.core.storage import db

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
                f"共 {c['total']} 行：新增 {c['inserted']}，更新 {c['updated']}，未变 {c['unchanged']}，拒绝 "
                f"{c['rejected']}"
                + (f"，暂不导入 {c['set_aside']}" if c["set_aside"] else "")
                + (f"；新建点位 {c['new_sites']}" if c["new_sites"] else ""),
                f"{c['total']} rows: {c['inserted']} inserted, {c['updated']} updated, {c['unchanged']} unchanged, "
                f"{c['rejected']} rejected"
                + (f", {c['set_aside']} set aside" if c["set_aside"] else "")
                + (f"; {c['new_sites']} new sites" if c["new_sites"] else ""),
                lang,
            )
        )
    errors = report.errors
    for p in errors[:MAX_PRINTED_PROBLEMS]:
        print(_problem_line(p, lang))
    # warnings of one kind are summarised: a thousand identical lines hide the one that matters
    by_code: dict[str, list[Problem]] = {}
    unlisted: dict[str, int] = {}  # the validator's own "N more of this kind" notes, folded into one count
    for p in report.problems:
        if p.severity != ERROR and p.of is not None:
            unlisted[p.of] = unlisted.get(p.of, 0) + p.more
        elif p.severity != ERROR:
            by_code.setdefault(p.code, []).append(p)
    for code, group in by_code.items():
        for p in group[:3]:
            print(_problem_line(p, lang))
        more = max(0, len(group) - 3) + unlisted.get(code, 0)
        if more:
            rows = [p.row for p in group if p.row is not None]
            print(
                _say(f"! 同类提示另有 {more:,} 行", f"! {more:,} more rows with the same note", lang)
                + (f"（从第 {rows[3]} 行起）" if len(rows) > 3 and lang == "zh" else "")
                + (f" (from row {rows[3]})" if len(rows) > 3 and lang != "zh" else "")
            )
    if len(errors) > MAX_PRINTED_PROBLEMS and source.is_file():
        path = source.with_name(source.stem + ".problems.csv")
        listed = pd.DataFrame([p.as_dict() for p in report.problems])
        write_csv(listed.astype({"row": "Int64"}), path)  # row 7, not 7.0, beside the file-level notes
        more = len(errors) - MAX_PRINTED_PROBLEMS
        print(
            _say(
                f"……另有 {more} 个错误，完整列表见 {path}",
                f"... and {more} more errors; the full list is in {path}",
                lang,
            )
        )
    elif len(errors) > MAX_PRINTED_PROBLEMS:
        print(
            _say(
                f"……另有 {len(errors) - MAX_PRINTED_PROBLEMS} 个错误",
                f"... and {len(errors) - MAX_PRINTED_PROBLEMS} more errors",
                lang,
            )
        )
    if report.status == "written" and len(report.rejected_rows) and source.is_file():
        path = source.with_name(source.stem + ".rejected.csv")
        write_csv(report.rejected_rows, path)
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
        print(
            _say(
                f"数据库已从 {before or '空'} 升级到 {after}",
                f"database upgraded from {before or 'empty'} to {after}",
                args.lang,
            )
        )
    return 0


def _read_password(prompt: str, *, confirm: bool = False) -> str:
    """A password from ``OUTREACH_PASSWORD``, a prompt that does not echo, or the first line of stdin."""
    if os.environ.get("OUTREACH_PASSWORD"):
        return os.environ["OUTREACH_PASSWORD"]
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("再输入一次 / again: ") != first:
        raise AccountError("两次输入的密码不一致。", "The two passwords differ.")
    return first


def _scope(args, engine) -> Scope:
    """Who runs the command: the operator, or with ``--as NAME`` that account after its password is checked."""
    if not args.as_user:
        return Scope.operator()
    result = access.sign_in(engine, args.as_user, _read_password(f"{args.as_user} 的密码 / password: "))
    if result.status != "ok":
        raise PermissionDenied(result.message("zh"), result.message("en"))
    assert result.account is not None  # an "ok" sign-in always carries its account
    return result.account.scope()


def cmd_sample(args) -> int:
    from data import sample

    engine = _engine()
    _scope(args, engine).require_admin()
    user = args.as_user or Scope.operator().user
    reports = sample.load(engine, seed=args.seed, user=user)
    if not args.no_enterprises:  # the synthetic register (90,000 enterprises) and its visits, as the app loads them
        from data import enterprise_sample

        reports += enterprise_sample.load(engine, seed=args.seed, user=user)
    for report in reports:
        _print_report(report, Path(report.file_name), args.lang)
    return 0 if all(r.ok for r in reports) else 1


def cmd_import(args) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(_say(f"找不到文件：{path}", f"no such file: {path}", args.lang), file=sys.stderr)
        return 1
    engine = _engine()
    scope = _scope(args, engine)
    common = dict(dry_run=args.dry_run, skip_invalid=args.skip_invalid)
    if args.max_mb is not None:
        common["max_bytes"] = int(args.max_mb * 1024 * 1024)
    if args.what == "sites":
        report = access.import_sites(engine, scope, path.read_bytes(), path.name, coords=args.coords, **common)
    elif args.what == "enterprises":
        report = access.import_enterprises(engine, scope, path.read_bytes(), path.name, coords=args.coords, **common)
    elif args.what == "outcomes":
        report = access.import_visits(engine, scope, path.read_bytes(), path.name, **common)
    else:
        report = access.import_sessions(engine, scope, path.read_bytes(), path.name, **common)
    _print_report(report, path, args.lang)
    if not args.no_retrain:
        _queue_retrain(engine, scope, report, args.lang)
    return 0 if report.ok else 1


def cmd_enterprises_export(args) -> int:
    """The register in the file people open in Excel; personal data only for those who work the district."""
    from dashboard.core.intake.columns import ENTERPRISE_COLUMNS, INDUSTRIES, UNION_STATUSES

    engine = _engine()
    scope = _scope(args, engine)
    frame = access.enterprise_register(engine, scope, args.district)
    frame["district"] = frame["district"].map(districts.name)
    frame["industry"] = frame["industry"].map(lambda k: INDUSTRIES.get(k, "") if isinstance(k, str) else "")
    frame["union_status"] = frame["union_status"].map(lambda k: UNION_STATUSES.get(k, (k, k))[0])
    headers = {c.name: c.zh for c in ENTERPRISE_COLUMNS} | {"name": "企业名称"}
    out = Path(args.out)
    sheet = frame.rename(columns=headers)
    if out.suffix.lower() == ".xlsx":
        data = access.export_workbook(engine, scope, "enterprises", {"企业名录": sheet}, args.district)
    else:
        data = access.export_csv(engine, scope, "enterprises", sheet, args.district)
    out.write_bytes(data)
    print(_say(f"已导出 {len(frame)} 家企业到 {out}", f"{len(frame)} enterprises exported to {out}", args.lang))
    return 0


def cmd_move(args) -> int:
    """Move sites or enterprises to another district or street (admin): see access.move_record."""
    engine = _engine()
    scope = _scope(args, engine)
    kind = "site" if args.what == "sites" else "enterprise"
    failed = 0
    for key in args.keys:
        try:
            moved = access.move_record(engine, scope, kind, key, args.district, args.street)
        except LookupError:
            print(_say(f"没有这条记录：{key}", f"no such record: {key}", args.lang), file=sys.stderr)
            failed += 1
            continue
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        before, after = (areas.name(areas.finest(*m) or "", "zh") for m in (moved.before, moved.after))
        before_en, after_en = (areas.name(areas.finest(*m) or "", "en") for m in (moved.before, moved.after))
        print(
            _say(
                f"{moved.key} 已从{before}迁到{after}，随之迁移 {moved.followed} 条记录。",
                f"{moved.key} moved from {before_en} to {after_en}, with {moved.followed} rows that follow it.",
                args.lang,
            )
        )
    return 1 if failed else 0


def cmd_enterprises_forget(args) -> int:
    engine = _engine()
    removed = access.forget_contacts(engine, _scope(args, engine), args.ids)
    print(
        _say(
            f"已删除 {removed} 家企业的负责人和联系方式。",
            f"deleted the head's name and contact of {removed} enterprises.",
            args.lang,
        )
    )
    return 0


def _queue_retrain(engine, scope: Scope, report, lang: str) -> None:
    """New results change what the models should know: queue a retrain, as an upload on the page does (the app's
    background worker runs it, or ``python -m dashboard train --pending``). Nothing waits for it here."""
    job = access.retrain_after_import(engine, scope, report)
    if job is None:
        return
    print(
        _say(
            "已排队重新训练模型：服务器的后台任务会运行它，或运行 python -m dashboard train --pending。",
            "a retrain is queued: the server's background worker runs it, or run python -m dashboard train --pending.",
            lang,
        )
    )


def cmd_calendar(args) -> int:
    from dashboard.core.recommender import calendar as cal

    engine = _engine()
    scope = _scope(args, engine)
    if args.action == "set":
        access.set_calendar_day(engine, scope, args.date, args.day_type, note=args.note)
        print(
            _say(
                f"{args.date} 已设为 {cal.DAY_TYPE_LABELS[args.day_type]}",
                f"{args.date} set to {args.day_type}",
                args.lang,
            )
        )
    elif args.action == "unset":
        access.set_calendar_day(engine, scope, args.date, None)
        print(_say(f"{args.date} 恢复为官方日历", f"{args.date} back to the official calendar", args.lang))
    else:
        overrides = access.calendar_overrides(engine, scope)
        days = pd.date_range(f"{args.year}-01-01", f"{args.year}-12-31", freq="D").date
        for day in days:
            info = cal.day_info(day, overrides)
            weekend = day.weekday() >= 5
            if (
                info.day_type in (cal.HOLIDAY, cal.MAKEUP)
                or (info.day_type == cal.WORKDAY and weekend)
                or day in overrides
            ):
                flag = _say("（推算）", " (provisional)", args.lang) if info.provisional else ""
                print(
                    f"{day} {day.strftime('%a')} "
                    f"{_say(cal.DAY_TYPE_LABELS[info.day_type], info.day_type, args.lang)}{flag} "
                    f"{info.holiday_name or ''}"
                )
    return 0


def _district_arg(value: str) -> str:
    """A district (朝阳区, 朝阳, 110105), or a street as 朝阳区建外街道 or its 9-digit code."""
    code = districts.resolve(value)
    if code is None and len(value) > 3:
        home = districts.resolve(value[:3])
        code = streets.resolve(value[3:], home) if home else streets.resolve(value)
    if code is None:
        raise argparse.ArgumentTypeError(f"未知的区或街道 / unknown district or street: {value}")
    return code


def cmd_kpi(args) -> int:
    engine = _engine()
    if args.period is not None:
        return _kpi_compared(args, engine)
    result = access.totals(engine, _scope(args, engine), args.district, args.date_from, args.date_to)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    for key, value in result.items():
        zh, en = kpi.LABELS[key]
        print(f"{_say(zh, en, args.lang):<40} {value:>12,}")
    return 0


def _kpi_compared(args, engine) -> int:
    """``kpi --period``: each total beside the same period last year (同比) and the period before (环比)."""
    scope = _scope(args, engine)
    _, last = access.date_range(engine, scope)
    frame = access.compare_totals(engine, scope, args.period, args.district, last)
    if args.json:
        print(frame.to_json(orient="records", force_ascii=False))
        return 0
    print(
        f"{'':<40} {_say('本期', 'now', args.lang):>12} {_say('同比', 'y/y', args.lang):>9} "
        f"{_say('环比', 'p/p', args.lang):>9}"
    )
    for row in frame.itertuples(index=False):
        zh, en = kpi.LABELS[row.metric]
        yoy, pop = briefing.percent(row.yoy, signed=True), briefing.percent(row.pop, signed=True)
        print(f"{_say(zh, en, args.lang):<40} {row.current:>12,} {yoy:>9} {pop:>9}")
    dates = access.data_dates(engine, scope, args.district)
    if dates.behind():
        print(_say(dates.note("zh"), dates.note("en"), args.lang))
    return 0


def _hours_arg(value: str) -> tuple[int, int]:
    try:
        a, b = value.replace("–", "-").split("-")
        to_min = lambda t: int(t.split(":")[0]) * 60 + (int(t.split(":")[1]) if ":" in t else 0)  # noqa: E731
        return to_min(a), to_min(b)
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(f"时段应写成 06:00-22:00 / hours look like 06:00-22:00, not {value}") from None


def cmd_train(args) -> int:
    engine = _engine()
    if args.pending:  # the queue the app's background workers run; for servers with OUTREACH_BACKGROUND_TRAINING=0
        _scope(args, engine).require_admin()
        ran = access.run_training(engine)
        for job in ran:
            print(_say(f"训练任务 {job.id}：{job.status}", f"training job {job.id}: {job.status}", args.lang))
            if job.error:
                print(f"  {job.error}")
        if not ran:
            print(
                _say(
                    "没有待运行的训练任务（或另一进程正在训练）。",
                    "no queued training (or another process is training).",
                    args.lang,
                )
            )
        return 0 if all(job.status == "done" for job in ran) else 1
    try:
        trained = access.retrain(
            engine, _scope(args, engine), progress=lambda f, m: print(f"  {f:4.0%} {m}", flush=True)
        )
    except access.NotEnoughHistory as short:
        print(
            _say(
                f"没有可以训练的数据：{short}。请先导入场次记录或企业名录。",
                f"nothing to train on: {short}. Import sessions or an enterprise register first.",
                args.lang,
            ),
            file=sys.stderr,
        )
        return 1
    if trained.stall is None:
        print(
            _say(
                f"未训练点位推荐模型（{trained.stall_skipped}）。",
                f"the stall recommender was not trained ({trained.stall_skipped}).",
                args.lang,
            )
        )
    else:
        _print_stall_card(trained.stall.card, args.lang)
    if trained.visits is not None:
        card = trained.visits.card
        print(
            _say(
                f"企业走访模型已保存（{card['enterprises']:,} 家企业，{card['visits']:,} 次走访，用时 "
                f"{card['train_seconds']} 秒）",
                f"visit model saved ({card['enterprises']:,} enterprises, {card['visits']:,} visits, "
                f"{card['train_seconds']} s)",
                args.lang,
            )
        )
    return 0


def _print_stall_card(card: dict, lang: str) -> None:
    bt = card["backtest"]
    print(
        _say(
            f"模型已保存（{card['estimator']}，{card['sessions']:,} 场，用时 {card['train_seconds']} 秒）",
            f"model saved ({card['estimator']}, {card['sessions']:,} sessions, {card['train_seconds']} s)",
            lang,
        )
    )
    if "skipped" in bt:
        print(_say(f"历史太短，未做回测：{bt['skipped']}", f"history too short for a backtest: {bt['skipped']}", lang))
        return
    print(
        _say(
            f"回测（{bt['test_from']} 至 {bt['test_to']}，{bt['test_sessions']:,} 场）：",
            f"backtest ({bt['test_from']} to {bt['test_to']}, {bt['test_sessions']:,} sessions):",
            lang,
        )
    )
    for name, sc in bt["scores"].items():
        print(
            f"  {name:<14} deviance(applications) {sc['deviance_applications']:6.3f}   top-10 hit "
            f"{sc['top10_hit_applications']:.2f}"
        )


def cmd_recommend(args) -> int:
    from dashboard.core.recommender import planner

    engine = _engine()
    scope = _scope(args, engine)
    request = planner.PlanRequest(
        start=args.start,
        days=args.days,
        teams=args.teams,
        per_team_per_day=args.per_team,
        length_min=args.length,
        hours=args.hours,
        district=args.district,
        exclude=set(args.exclude or []),
        exploration=args.explore / 100,
        seed=args.seed,
        explore_hours=args.explore_hours,
    )
    if args.booked:
        from dashboard.core.reports import plans

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
    try:
        plan, messages = access.recommend(engine, scope, request)
    except access.ModelNotReady as waiting:
        print(_say(waiting.zh, waiting.en, args.lang), file=sys.stderr)
        return 1
    for m in messages:
        print(_say(m[0], m[1], args.lang))
    if args.out:
        from dashboard.core.recommender.planner import for_people

        sheet = for_people(plan, "en" if args.lang == "en" else "zh")
        if args.lang == "both":  # the bilingual default keeps the English reason beside the Chinese one
            sheet["reason (English)"] = plan["reason_en"]
        write_csv(sheet, Path(args.out))
        access.record_export(engine, scope, "plan", len(plan), request.district, file=str(args.out))
        print(
            _say(
                f"计划已写入 {args.out}（{len(plan)} 场）",
                f"plan written to {args.out} ({len(plan)} sessions)",
                args.lang,
            )
        )
    else:
        cols = [
            "team",
            "date",
            "start_time",
            "end_time",
            "site_id",
            "site_name",
            "district",
            "expected_applications",
            "applications_low",
            "applications_high",
            "history_sessions",
            "reason",
        ]
        with pd.option_context("display.max_rows", 500, "display.width", 250, "display.max_colwidth", 60):
            print(plan[cols].to_string(index=False))
    return 0


def cmd_visits(args) -> int:
    engine = _engine()
    scope = _scope(args, engine)
    loaded = access.visit_model(engine)
    if loaded is None:  # a request never trains: queue the training and plan from the prior, saying so
        access.start_first_training(engine)
        print(
            _say(
                "企业走访模型还没有训练好，已排队训练（服务器后台运行，或运行 python -m dashboard train --pending）。",
                "the visit model is not trained yet; a training is queued (the server runs it, or run python -m "
                "dashboard train --pending).",
                args.lang,
            ),
            flush=True,
        )
    try:
        plan, messages = access.plan_visits(
            engine, scope, loaded, args.start, args.days, args.staff, args.per_day, args.district
        )
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for m in messages:
        print(_say(m[0], m[1], args.lang))
    from dashboard.core.recommender.visits import for_people

    sheet = for_people(plan, "en" if args.lang == "en" else "zh")
    write_csv(sheet, Path(args.out))
    access.record_export(engine, scope, "visits", len(plan), args.district, file=str(args.out))
    members = float(plan["expected_members"].fillna(0).sum()) if len(plan) else 0.0
    print(
        _say(
            f"走访计划已写入 {args.out}（{len(plan)} 次走访，预计发展会员约 {members:,.0f} 人，"
            "即各企业建会概率 × 建会后可发展会员之和）",
            f"visit plan written to {args.out} ({len(plan)} visits, about {members:,.0f} members expected: the sum "
            "of each enterprise's P(found) x members if founded)",
            args.lang,
        )
    )
    return 0


def cmd_users(args) -> int:
    engine = _engine()
    scope = _scope(args, engine)
    lang = args.lang
    if args.action == "list":
        frame = access.users(engine, scope)
        if args.json:
            print(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
        else:
            with pd.option_context("display.width", 200, "display.max_rows", 1000):
                print(frame.to_string(index=False) if len(frame) else _say("还没有账号", "no accounts yet", lang))
        return 0
    if args.action == "add":
        password = None if args.no_password else _read_password(f"{args.name} 的新密码 / new password: ", confirm=True)
        account = access.add_user(
            engine, scope, args.name, args.role, password, args.district or (), args.sso_email, args.street or ()
        )
        area = account.scope().area(lang if lang != "both" else "zh")
        print(
            _say(
                f"已新建账号 {account.name}（{account.role}，{area}）",
                f"user {account.name} added ({account.role}, {area})",
                lang,
            )
        )
    elif args.action == "change":
        account = access.change_user(engine, scope, args.name, args.role, args.district, args.street)
        print(
            _say(f"账号 {account.name} 已修改（{account.role}）", f"user {account.name} changed ({account.role})", lang)
        )
    elif args.action in ("disable", "enable"):
        access.set_disabled(engine, scope, args.name, args.action == "disable")
        print(
            _say(
                f"账号 {args.name} 已{'停用' if args.action == 'disable' else '启用'}",
                f"user {args.name} {args.action}d",
                lang,
            )
        )
    elif args.action == "passwd":
        access.set_password(
            engine, scope, args.name, _read_password(f"{args.name} 的新密码 / new password: ", confirm=True)
        )
        print(_say(f"账号 {args.name} 的密码已修改", f"password of {args.name} changed", lang))
    return 0


def cmd_audit(args) -> int:
    engine = _engine()
    frame = access.audit_log(engine, _scope(args, engine), limit=args.limit, actor=args.actor, action=args.action)
    if args.json:
        print(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
    else:
        with pd.option_context("display.width", 250, "display.max_rows", 10000, "display.max_colwidth", 80):
            print(frame.to_string(index=False))
    return 0


def cmd_export(args) -> int:
    """District statistics, monthly trends or site statistics as .xlsx or CSV (formula-safe)."""
    engine = _engine()
    scope = _scope(args, engine)
    if args.what == "districts":
        frame = access.district_stats(engine, scope, args.date_from, args.date_to)
    elif args.what == "monthly":
        frame = access.monthly(engine, scope, args.date_from, args.date_to, args.district)
    else:
        frame = access.site_stats(engine, scope, args.date_from, args.date_to, args.district)
    out = Path(args.out)
    if out.suffix.lower() == ".xlsx":
        data = access.export_workbook(engine, scope, args.what, {args.what: frame}, args.district)
    else:
        data = access.export_csv(engine, scope, args.what, frame, args.district)
    out.write_bytes(data)
    print(_say(f"已导出 {len(frame)} 行到 {out}", f"{len(frame)} rows exported to {out}", args.lang))
    return 0


def _out_arg(value: str) -> Path:
    """An --out file that can be written: its folder exists and it is not a folder itself (checked before anything
    is read or audited, so a wrong path costs nothing)."""
    path = Path(value)
    if path.is_dir() or not path.parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"无法写入 {value}：请给出一个已存在文件夹中的文件名 / "
            f"cannot write {value}: name a file in an existing folder"
        )
    return path


def _period_arg(value: str) -> periods.Period:
    try:
        return periods.parse(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"时间应写成 2023、2023Q1、2023-04 或 2023-01-01..2023-03-31 / a period looks like 2023, 2023Q1, 2023-04 "
            f"or 2023-01-01..2023-03-31, not {value}"
        ) from None


def cmd_report(args) -> int:
    """The one-page leader's report (PDF or Excel) for a period, within your districts."""
    engine = _engine()
    scope = _scope(args, engine)
    _, last = access.date_range(engine, scope)
    out = Path(args.out)
    fmt = "pdf" if out.suffix.lower() == ".pdf" else "xlsx"
    try:
        language = "en" if args.lang == "en" else "zh"
        data = access.leader_report(engine, scope, args.period, fmt, args.district, last, language)
    except briefing.NoChineseFont:
        print(_say(briefing.NoChineseFont.zh, briefing.NoChineseFont.en, args.lang), file=sys.stderr)
        return 1
    out.write_bytes(data)
    print(_say(f"报告已写入 {out}", f"report written to {out}", args.lang))
    return 0


def planner_default_explore() -> float:
    from dashboard.core.recommender.planner import DEFAULT_EXPLORATION

    return round(DEFAULT_EXPLORATION * 100, 1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard", description="双沟通 outreach planning: data and model jobs"
    )
    parser.add_argument(
        "--lang", choices=("zh", "en", "both"), default="both", help="language of messages (default both)"
    )
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="NAME",
        help=(
            "run as this account, with its role and districts (password from OUTREACH_PASSWORD, a prompt or stdin); "
            "default: the server operator"
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("init", help="create or upgrade the database schema").set_defaults(func=cmd_init)

    p = sub.add_parser(
        "sample", help="load the reproducible sample data (sites, 2018-2026 sessions, enterprises and their visits)"
    )
    p.add_argument("--seed", type=int, default=20180401)
    p.add_argument("--enterprises", action="store_true", help=argparse.SUPPRESS)  # the default now; old scripts
    p.add_argument("--no-enterprises", action="store_true", help="without the enterprise register and visits")
    p.set_defaults(func=cmd_sample)

    helps = {"outcomes": "enterprise visits and what came of them (已沟通/有意向/已建会/暂不建会)"}
    for what in ("sites", "sessions", "enterprises", "outcomes"):
        group = sub.add_parser(what, help=helps.get(what, f"{what} files")).add_subparsers(dest="action", required=True)
        noun = {
            "sites": "a sites",
            "sessions": "a sessions",
            "enterprises": "an enterprise register",
            "outcomes": "a visit outcomes",
        }
        p = group.add_parser("import", help=f"import {noun[what]} file (CSV or .xlsx)")
        p.add_argument("file")
        p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
        p.add_argument(
            "--skip-invalid", action="store_true", help="import the valid rows, write the rejected ones beside the file"
        )
        p.add_argument(
            "--max-mb", type=float, help="refuse files larger than this (default OUTREACH_MAX_UPLOAD_MB or 20)"
        )
        p.add_argument(
            "--no-retrain", action="store_true", help="do not queue a retrain of the models after the import"
        )
        if what in ("sites", "enterprises"):
            p.add_argument(
                "--coords",
                choices=("wgs84", "gcj02"),
                default="wgs84",
                help="coordinate system of lat/lon (gcj02: copied from Gaode)",
            )
        p.set_defaults(func=cmd_import, what=what)
        if what == "enterprises":
            p = group.add_parser("export", help="the register within your districts (.xlsx or .csv, Chinese headers)")
            p.add_argument("--out", type=_out_arg, required=True, help="FILE.xlsx or FILE.csv")
            p.add_argument("--district", type=_district_arg)
            p.set_defaults(func=cmd_enterprises_export)
            p = group.add_parser("forget", help="delete the head's name and contact of these enterprises (PIPL)")
            p.add_argument("ids", nargs="+", help="credit codes or register ids")
            p.set_defaults(func=cmd_enterprises_forget)
        if what in ("sites", "enterprises"):
            p = group.add_parser(
                "move",
                help=f"move one of the {what} (and the rows that follow it) to another district or street (admin)",
            )
            p.add_argument("keys", nargs="+", help="site ids" if what == "sites" else "credit codes or register ids")
            p.add_argument("--district", required=True, help="朝阳区, 朝阳 or 110105")
            p.add_argument("--street", help="a street or township of that district (default: none)")
            p.set_defaults(func=cmd_move, what=what)

    p = sub.add_parser("kpi", help="headline totals")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--district", type=_district_arg, help="朝阳区, 朝阳 or 110105")
    p.add_argument("--from", dest="date_from", type=dt.date.fromisoformat, help="first date, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=dt.date.fromisoformat, help="last date, YYYY-MM-DD (inclusive)")
    p.add_argument(
        "--period",
        type=_period_arg,
        help="2023, 2023Q1, 2023-04: the totals with 同比 and 环比 (instead of --from/--to)",
    )
    p.set_defaults(func=cmd_kpi)

    p = sub.add_parser("train", help="backtest, choose and train the recommender; save it under models/")
    p.add_argument(
        "--pending", action="store_true", help="run the queued background retrains (uploads queue them), then exit"
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("recommend", help="plan where and when teams should hold worker sessions")
    p.add_argument("--start", type=dt.date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--teams", type=int, default=4)
    p.add_argument("--per-team", type=int, default=1, help="sessions per team per day (default 1)")
    p.add_argument("--length", type=int, default=120, help="session length in minutes (default 120)")
    p.add_argument("--hours", type=_hours_arg, default=(6 * 60, 22 * 60), help="allowed hours (default 06:00-22:00)")
    p.add_argument("--district", type=_district_arg, help="only sites in this district")
    p.add_argument("--exclude", nargs="*", metavar="SITE_ID", help="site ids to leave out")
    p.add_argument(
        "--explore",
        type=float,
        default=planner_default_explore(),
        metavar="PERCENT",
        help="0 plans by expected applications alone; any other value (up to 50) learns while planning: one draw "
        "from the model's posterior (Thompson sampling), or, for a model trained before the half-hour curves, the "
        "share of sessions given to sites and hours the history has not tried (default %(default)g)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="the posterior draw's seed: the same request and seed give the same plan"
    )
    p.add_argument(
        "--explore-hours",
        action="store_true",
        help="learning on, also draw each site's own hours (finds a site's unusual peak sooner; costs more in the "
        "first weeks, see the README)",
    )
    p.add_argument(
        "--booked",
        metavar="FILE",
        help="sessions already arranged (site_id, date, start_time, end_time): not repeated, their saturation counted",
    )
    p.add_argument("--out", type=_out_arg, help="write the plan as CSV (UTF-8 with BOM, opens in Excel)")
    p.set_defaults(func=cmd_recommend)

    p = sub.add_parser("visits", help="plan which enterprises staff should visit next (企业沟通会), as CSV")
    p.add_argument("--start", type=dt.date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--days", type=int, default=10, help="calendar days (working days only are planned)")
    p.add_argument("--staff", type=int, required=True, help="how many staff visit")
    p.add_argument("--per-day", type=int, default=4, help="visits per person per working day (default 4)")
    p.add_argument("--district", type=_district_arg, help="only enterprises in this district")
    p.add_argument("--out", type=_out_arg, required=True, help="the CSV to write (UTF-8 with BOM, opens in Excel)")
    p.set_defaults(func=cmd_visits)

    group = sub.add_parser(
        "calendar", help="official holidays, make-up working days, and admin overrides"
    ).add_subparsers(dest="action", required=True)
    p = group.add_parser("show", help="list a year's holidays and make-up working days")
    p.add_argument("year", type=int)
    p.set_defaults(func=cmd_calendar)
    p = group.add_parser("set", help="override one date (e.g. next year's make-up day before the library knows it)")
    p.add_argument("date", type=dt.date.fromisoformat)
    p.add_argument("day_type", choices=("workday", "weekend", "holiday", "makeup_workday"))
    p.add_argument("--note")
    p.set_defaults(func=cmd_calendar)
    p = group.add_parser("unset", help="remove an override")
    p.add_argument("date", type=dt.date.fromisoformat)
    p.set_defaults(func=cmd_calendar)

    group = sub.add_parser("users", help="accounts: add, list, change, disable, enable, passwd (admin)").add_subparsers(
        dest="action", required=True
    )
    p = group.add_parser("add", help="add an account; the password is asked for (or read from stdin)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=("admin", "leadership", "planner"))
    p.add_argument(
        "--district", action="append", help="a planner's district (repeat for several): 朝阳区, 朝阳 or 110105"
    )
    p.add_argument(
        "--street", action="append", help="a street union's planner: a street (repeat for several), e.g. 朝阳区建外街道"
    )
    p.add_argument("--sso-email", help="the e-mail a single sign-on identity must have to map to this account")
    p.add_argument("--no-password", action="store_true", help="sign in only through single sign-on")
    p.set_defaults(func=cmd_users)
    p = group.add_parser("list", help="every account with its role, districts and last sign-in")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_users)
    p = group.add_parser("change", help="change an account's role or districts")
    p.add_argument("name")
    p.add_argument("--role", choices=("admin", "leadership", "planner"))
    p.add_argument("--district", action="append")
    p.add_argument("--street", action="append", help="narrow a planner to these streets (朝阳区建外街道 or a code)")
    p.set_defaults(func=cmd_users)
    for action, text in (
        ("disable", "disable an account (its sessions end at once)"),
        ("enable", "re-enable an account"),
        ("passwd", "set a new password (asked for, or read from stdin)"),
    ):
        p = group.add_parser(action, help=text)
        p.add_argument("name")
        p.set_defaults(func=cmd_users)

    p = sub.add_parser(
        "audit", help="the audit log: who imported, exported, planned, changed users and targets (admin)"
    )
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--actor", help="only this user")
    p.add_argument("--action", help="only this action (import, export, plan, login_failed, ...)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("export", help="statistics as .xlsx or CSV (formula-safe), within your districts")
    p.add_argument("what", choices=("districts", "monthly", "sites"))
    p.add_argument("--out", type=_out_arg, required=True, help="FILE.xlsx or FILE.csv")
    p.add_argument("--district", type=_district_arg)
    p.add_argument("--from", dest="date_from", type=dt.date.fromisoformat)
    p.add_argument("--to", dest="date_to", type=dt.date.fromisoformat)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("report", help="the one-page leader's report for a period, as PDF or Excel")
    p.add_argument("--period", required=True, type=_period_arg, help="2023, 2023Q1, 2023-04 or 2023-01-01..2023-03-31")
    p.add_argument("--out", type=_out_arg, required=True, help="FILE.pdf or FILE.xlsx")
    p.add_argument("--district", type=_district_arg, help="朝阳区, 朝阳 or 110105 (default: all you may read)")
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    lang = args.lang
    try:
        return args.func(args)
    except PermissionDenied as exc:
        print(_say(exc.zh, exc.en, lang), file=sys.stderr)
        return 3
    except AccountError as exc:
        print(_say(exc.zh, exc.en, lang), file=sys.stderr)
        return 1
    except (SQLAlchemyError, db.StorageProblem) as exc:
        if os.environ.get("OUTREACH_DEBUG"):
            raise
        problem = exc if isinstance(exc, db.StorageProblem) else db.explain(exc)
        print(_say(problem.zh, problem.en, lang), file=sys.stderr)
        return 4
    except OSError as exc:  # a file that could not be read or written (full disk, no permission): said in words
        if os.environ.get("OUTREACH_DEBUG"):
            raise
        where = exc.filename or ""
        print(_say(f"无法读写文件 {where}：{exc.strerror}", f"cannot read or write {where}: {exc.strerror}", lang))
        return 1
