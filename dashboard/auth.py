"""Sign-in for the dashboard: the login form, optional single sign-on, session expiry, sign-out.

The browser session keeps only an :class:`~dashboard.core.access.accounts.Session` (a name and two times). On every
page view :func:`require` checks it against the database, so an expired session, a disabled account or changed
districts take effect at the next click. Everything else reads the caller's scope with :func:`scope`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import cast

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from dashboard import resources
from dashboard.cookie_routes import SESSION_ROUTE
from dashboard.core import access
from dashboard.core.access import accounts
from dashboard.core.access.scope import ROLE_LABELS, Scope
from dashboard.core.access.web_sessions import BIND_COOKIE, COOKIE
from dashboard.i18n import lang, lang_key, md_escape, t

_SESSION, _SCOPE, _NOTE = "auth_session", "auth_scope", "auth_note"
_TICKET, _CLEAR = "auth_ticket", "auth_clear_cookie"


def scope() -> Scope:
    """The signed-in caller's scope (pages run only after :func:`require` found one)."""
    return st.session_state[_SCOPE]


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all  # noqa: BLE001
        return False


def _keep(session: accounts.Session) -> accounts.Session:
    """Open the row that keeps this sign-in across reloads; the browser trades its ticket for the cookie.

    The ticket is bound to this browser's binding cookie (set by the server on its first request): without one
    (cookies refused, or the app run without ``server.py``) this tab stays signed in and a reload asks again.
    """
    bind = st.context.cookies.get(BIND_COOKIE)
    if not isinstance(bind, str) or not 0 < len(bind) <= 200:
        return session
    try:
        kept, ticket = access.keep_signed_in(resources.engine(), session, bind)
    except SQLAlchemyError:  # a read-only database: this tab stays signed in, a reload asks again
        return session
    st.session_state[_TICKET] = ticket
    return kept


def _finish(result: accounts.SignIn, via: str) -> None:
    if result.status == "ok":
        assert result.account is not None  # an "ok" sign-in always carries its account
        # the session starts when the password was checked: a change of password after that ends it
        st.session_state[_SESSION] = _keep(accounts.start(result.account, via=via, now=result.at))
        st.session_state[_SCOPE] = result.account.scope()
        st.session_state.pop(_NOTE, None)
        st.session_state.pop(_CLEAR, None)
    else:
        st.session_state[_NOTE] = result.message(lang())


def cookie_exchange() -> None:
    """Hand the browser its one-time ticket: the server answers with the HttpOnly sign-in cookie (an <img> request,
    same origin). Rendered on every run of a fresh sign-in until the browser reloads, which is harmless: a ticket
    works once. After sign-out, the same kind of request clears the cookie."""
    ticket = st.session_state.get(_TICKET)
    if ticket:
        st.html(f'<img src="{SESSION_ROUTE}?ticket={ticket}" width="1" height="1" alt="" style="position:absolute">')
    elif st.session_state.get(_CLEAR):
        st.html(f'<img src="{SESSION_ROUTE}/clear" width="1" height="1" alt="" style="position:absolute">')


def _sign_out(reason: str = "") -> None:
    # Everything the tab held belongs to the user who leaves (a plan, an upload preview, filters): only the
    # language stays, so the next person at this browser starts clean.
    for key in list(st.session_state):
        if key != "lang":
            del st.session_state[key]
    if reason:
        st.session_state[_NOTE] = reason


def login_page() -> None:
    """The login form (and the single sign-on button when ``[auth]`` is configured in secrets)."""
    eng = resources.engine()
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        _login_form(eng)


def _login_form(eng) -> None:
    st.title(t("登录", "Sign in"))
    st.caption(t("双沟通 外联规划 · 北京市总工会", "Outreach planning for Beijing's trade unions"))
    note = st.session_state.get(_NOTE)
    if note:
        st.error(note)
    if not access.any_accounts(eng):
        st.warning(
            t(
                "还没有任何账号。请在服务器上运行 `python -m dashboard users add 用户名 --role admin` 新建管理员。",
                "There are no accounts yet. On the server, run `python -m dashboard users add NAME --role admin` to "
                "create an admin.",
            )
        )
    with st.form("login"):
        name = st.text_input(t("用户名", "User name"), key="login_name", max_chars=64)
        password = st.text_input(t("密码", "Password"), type="password", key="login_password", max_chars=256)
        if st.form_submit_button(t("登录", "Sign in"), type="primary"):
            _finish(access.sign_in(eng, name, password), "password")
            st.rerun()
    if _sso_configured():
        if st.user.is_logged_in:
            # The identity provider's email claim is a string (or absent); st.user types every claim as a union.
            result = access.sso_sign_in(eng, cast("str | None", st.user.get("email")))
            if result.status == "ok":
                _finish(result, "sso")
                st.rerun()
            email = md_escape(st.user.get("email"))
            st.error(
                t(
                    f"单点登录身份（{email}）没有对应的账号，请联系管理员。",
                    f"Your single sign-on identity ({email}) has no account here. Ask an admin.",
                )
            )
            st.button(t("退出单点登录", "Sign out of single sign-on"), on_click=st.logout)
        else:
            st.button(t("使用单点登录", "Sign in with single sign-on"), on_click=st.login, key="login_sso")
    demo = access.demo_accounts(eng)
    if demo:
        st.info(
            t(
                "示例数据的演示账号（密码见 README，请尽快修改或停用）：" + "、".join(demo),
                "Demo accounts of the sample data (passwords in the README; change or disable them): "
                + ", ".join(demo),
            )
        )


def require() -> Scope | None:
    """The caller's scope after checking the session; None when nobody is signed in (show :func:`login_page`).

    A tab without a session looks for the sign-in cookie first (a reload, a bookmark, a new tab).
    """
    session = st.session_state.get(_SESSION)
    if session is None and not st.session_state.get(_CLEAR):
        session = access.restore_session(resources.engine(), st.context.cookies.get(COOKIE))
    if session is None:
        return None
    renewed, current, why = access.resume(resources.engine(), session)
    if renewed is None:
        _sign_out(
            {
                "idle": t(
                    "长时间未操作，已自动退出，请重新登录。",
                    "You were signed out after a period without activity. Sign in again.",
                ),
                "expired": t("登录已超过有效期，请重新登录。", "Your session has expired. Sign in again."),
                "disabled": t("账号已停用，请联系管理员。", "This account has been disabled. Ask an admin."),
                "revoked": t(
                    "已在其他页面退出，或账号的角色、负责的区或密码已变更，请重新登录。",
                    "You signed out elsewhere, or the account's role, districts or password changed. Sign in again.",
                ),
            }[why]
        )
        return None
    st.session_state[_SESSION] = renewed
    st.session_state[_SCOPE] = current
    return current


def district_select(container, current: Scope, key: str) -> str | None:
    """A district picker holding only the caller's districts; None means all of them (the city, or "my districts")."""
    from dashboard.core.geo import areas, districts

    mine = list(current.districts) if current.districts else [d.adcode for d in districts.DISTRICTS]
    options = mine if current.districts and len(mine) == 1 else [None, *mine]
    # a district held in streets reads as those streets: a street union's pages say 建外街道, not 朝阳区
    held = set(current.areas or ())
    in_part = {d: [c for c in sorted(held) if len(c) == 9 and c[:6] == d] for d in mine if d not in held}
    in_part = {d: parts for d, parts in in_part.items() if parts}
    whole = t("全市", "All Beijing") if current.districts is None else t("我负责的范围", "My area")
    shown_lang = lang()  # bound now: the label function is also called after this run (AppTest, streamlit#13788)

    def label(code: str | None) -> str:
        if code is None:
            return whole
        if code in in_part:
            return areas.names(tuple(in_part[code]), shown_lang)
        return districts.name(code, shown_lang)

    return container.selectbox(
        t("街道乡镇", "Street") if in_part and len(options) == 1 else t("区", "District"),
        options,
        format_func=label,
        key=lang_key(key),
    )


def sidebar(current: Scope) -> None:
    """Who is signed in, a password change, and sign-out."""
    role = t(*ROLE_LABELS[current.role])
    st.markdown(
        f"**{t('用户', 'User')}**：{md_escape(current.user)}  \n{role} · "
        f"{current.area('en' if st.session_state.get('lang') == 'en' else 'zh')}"
    )
    session = st.session_state.get(_SESSION)
    if session is not None and session.via == "password":
        with st.popover(t("修改密码", "Change password")), st.form("own_password", clear_on_submit=True):
            new = st.text_input(t("新密码", "New password"), type="password")
            again = st.text_input(t("再输入一次", "Again"), type="password")
            if st.form_submit_button(t("保存", "Save")):
                if new != again:
                    st.error(t("两次输入的密码不一致。", "The two passwords differ."))
                else:
                    try:
                        access.set_password(resources.engine(), current, current.user, new)
                        # the change signs every browser out; this one signs in again with the new password
                        now = dt.datetime.now(dt.UTC)
                        st.session_state[_SESSION] = _keep(
                            dataclasses.replace(session, started=now, seen=now, web_id=None)
                        )
                        st.success(t("密码已修改。", "Password changed."))
                    except accounts.AccountError as exc:
                        st.error(t(exc.zh, exc.en))
    if st.button(t("退出登录", "Sign out"), key="logout"):
        access.sign_out(resources.engine(), current, session)
        was_sso = session is not None and session.via == "sso"
        _sign_out()
        st.session_state[_CLEAR] = True  # this tab forgets the cookie too (the row is already revoked)
        if was_sso:
            st.logout()
        st.rerun()
