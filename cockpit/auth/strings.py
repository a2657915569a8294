"""Strings of the login, logout and password pages ("auth.*" keys), added to the one catalogue
``cockpit.i18n.CATALOGUE`` at import, so screens can use them too (e.g. ``t("auth.logout", lang)``)."""

from __future__ import annotations

from cockpit import i18n

STRINGS: dict[str, dict[str, str]] = {
    "auth.title": {"zh": "登录", "en": "Sign in"},
    "auth.username": {"zh": "用户名", "en": "Username"},
    "auth.password": {"zh": "密码", "en": "Password"},
    "auth.submit": {"zh": "登录", "en": "Sign in"},
    "auth.failed": {"zh": "用户名或密码错误。", "en": "Wrong username or password."},
    "auth.blocked": {"zh": "登录失败次数过多，请 {minutes} 分钟后再试。",
                     "en": "Too many failed sign-ins. Try again in {minutes} minutes."},
    "auth.expired": {"zh": "会话已过期，请重新登录。", "en": "Your session has expired. Please sign in again."},
    "auth.form_expired": {"zh": "页面已过期，请重新提交。", "en": "The form has expired. Please submit it again."},
    "auth.logged_out": {"zh": "您已安全退出。", "en": "You have signed out."},
    "auth.logout": {"zh": "退出登录", "en": "Sign out"},
    "auth.logout_confirm": {"zh": "确定退出登录吗？", "en": "Sign out now?"},
    "auth.cancel": {"zh": "取消", "en": "Cancel"},
    "auth.change_password": {"zh": "修改密码", "en": "Change password"},
    "auth.must_change": {"zh": "首次登录或密码已重置，请先设置新密码。",
                         "en": "Please set a new password before you continue."},
    "auth.old_password": {"zh": "原密码", "en": "Current password"},
    "auth.new_password": {"zh": "新密码（至少 8 位）", "en": "New password (at least 8 characters)"},
    "auth.confirm_password": {"zh": "确认新密码", "en": "Repeat the new password"},
    "auth.mismatch": {"zh": "两次输入的新密码不一致。", "en": "The two new passwords differ."},
    "auth.save": {"zh": "保存", "en": "Save"},
    "auth.forbidden": {"zh": "无权执行此操作。", "en": "You may not do this."},
    "auth.kiosk_readonly": {"zh": "大屏为只读模式。", "en": "The big screen is read-only."},
}

for _key, _entry in STRINGS.items():
    i18n.CATALOGUE.setdefault(_key, _entry)


def t(key: str, lang: str, **params: object) -> str:
    entry = STRINGS[key]
    text = entry.get(lang) or entry["zh"]
    return text.format(**params) if params else text
