"""join (公权力监督, public-power oversight): a subsidy paid to a declared close relative of a cadre of
the same township.

A ``subsidy_payment`` of a kind in ``kinds`` paid within the ``window_days`` before today matches a
``cadre_relative`` declaration with ``relative_key`` = the payment's ``person_key`` (the salted person
key: never names) and a relation in ``relations``, when the cadre serves in the township of the
payment's grid. One match per cadre and relative; evidence: the payments and the declaration(s).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, func, select

from cockpit.reference import PERSON_TAGS
from cockpit.warehouse import schema as s
from cockpit.warnings.kinds import Param
from cockpit.warnings.kinds._common import as_datetime, number, positive, str_list
from cockpit.warnings.model import EvalContext, Evidence, Match, Rule

PARAMS: dict[str, Param] = {
    "kinds": Param(["dibao", "tekun"], (list,), "subsidy kinds watched", str_list),
    "relations": Param(["spouse", "parent", "child", "sibling", "in_law"], (list,),
                       "declared relations that count", str_list),
    "window_days": Param(365, (int, float), "days before today in which a payment counts", positive),
}


def evaluate(conn: Connection, rule: Rule, ctx: EvalContext) -> list[Match]:
    p = rule.params
    pay, rel = s.subsidy_payment, s.cadre_relative
    today = ctx.now.date()
    q = (select(pay.c.id, pay.c.src_source, pay.c.src_key, pay.c.paid_on, pay.c.kind, pay.c.amount, pay.c.grid_code,
                rel.c.id.label("rel_id"), rel.c.src_source.label("rel_source"), rel.c.src_key.label("rel_key"),
                rel.c.declared_on, rel.c.loaded_at, rel.c.cadre_key, rel.c.relative_key, rel.c.township_code)
         .join(rel, rel.c.relative_key == pay.c.person_key)
         .where(pay.c.kind.in_(p["kinds"]), rel.c.relation.in_(p["relations"]),
                pay.c.paid_on > today - timedelta(days=p["window_days"]), pay.c.paid_on <= today,
                rel.c.township_code == func.substr(pay.c.grid_code, 1, 9))
         .order_by(pay.c.paid_on, pay.c.id))
    groups: dict[tuple[str, str], dict] = {}
    for row in conn.execute(q):
        if ctx.township_of(row.grid_code) != row.township_code:
            continue  # a grid the area table does not hold
        g = groups.setdefault((row.cadre_key, row.relative_key), {"pay": {}, "rel": {}, "grid": row.grid_code,
                                                                   "township": row.township_code})
        g["pay"][row.id] = row
        g["rel"][row.rel_id] = row
        g["grid"] = row.grid_code  # the latest payment's
    out = []
    for (cadre, relative), g in sorted(groups.items()):
        pays = list(g["pay"].values())
        evidence = [Evidence("subsidy_payment", r.src_source, r.src_key, as_datetime(r.paid_on), row_id=r.id)
                    for r in pays]
        evidence += [Evidence("cadre_relative", r.rel_source, r.rel_key, as_datetime(r.declared_on or r.loaded_at),
                              row_id=r.rel_id) for r in g["rel"].values()]
        kinds = "、".join(PERSON_TAGS.get(k, (k,))[0] for k in sorted({r.kind for r in pays}))
        amount = sum(r.amount for r in pays)
        place = {k: v for k, v in ctx.place(g["grid"]).items() if k != "township_code"}
        out.append(Match(subject=f"{cadre}|{relative}", level=rule.level, township_code=g["township"],
                         title=f"干部亲属领取{kinds} {len(pays)} 笔 · {number(amount)} 元", evidence=evidence,
                         measure=float(len(pays)), **place))
    return out
