"""The unified code list of each coded input field: what a value map (``[sources.NAME.values.FIELD]``)
may map a department's codes to, checked when the configuration is read.

The lists come from ``cockpit/reference.py`` (categories, channels, departments, indicators, person
tags, event statuses) or are the codes the read side and the warning rules give a meaning to
(an inspection ``fail``, a ``completed`` application …). A field without a list here (an
enterprise's industry, a service code) takes any code. Area codes (grid, village, township) live in
the warehouse, not here: ``cockpit.etl.value_maps.unknown_location_targets`` checks those.
"""

from __future__ import annotations

from cockpit import reference as ref

AREA_LEVELS: tuple[str, ...] = ("county", "township", "village", "grid")
GENDERS: tuple[str, ...] = ("M", "F")
ENTERPRISE_STATUSES: tuple[str, ...] = ("active", "closed")
INSPECTION_RESULTS: tuple[str, ...] = ("pass", "fail")
APPLICATION_STATUSES: tuple[str, ...] = ("accepted", "processing", "completed", "rejected")
RELATIONS: tuple[str, ...] = ("spouse", "parent", "child", "sibling", "in_law")

CATEGORY_CODES = tuple(c.code for c in ref.CATEGORIES)
CHANNEL_CODES = tuple(ref.CHANNELS)
DEPARTMENT_CODES = tuple(d.code for d in ref.DEPARTMENTS)
INDICATOR_CODES = tuple(i.code for i in ref.INDICATORS)
PERSON_TAG_CODES = tuple(ref.PERSON_TAGS)


# target -> field -> (codes, where the list is defined: said in the fix of a refused value map)
CODE_LISTS: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "area": {"level": (AREA_LEVELS, "the area levels")},
    "person": {"gender": (GENDERS, "the gender codes")},
    "person_tag": {"tag": (PERSON_TAG_CODES, "PERSON_TAGS in cockpit/reference.py")},
    "enterprise": {"status": (ENTERPRISE_STATUSES, "the enterprise statuses")},
    "event": {
        "channel": (CHANNEL_CODES, "CHANNELS in cockpit/reference.py"),
        "category_code": (CATEGORY_CODES, "CATEGORIES in cockpit/reference.py"),
        "status": (ref.EVENT_STATUSES, "EVENT_STATUSES in cockpit/reference.py"),
    },
    "inspection": {"result": (INSPECTION_RESULTS, "the inspection results")},
    "indicator_value": {"indicator_code": (INDICATOR_CODES, "INDICATORS in cockpit/reference.py")},
    "service_application": {
        "department_code": (DEPARTMENT_CODES, "DEPARTMENTS in cockpit/reference.py"),
        "channel": (CHANNEL_CODES, "CHANNELS in cockpit/reference.py"),
        "status": (APPLICATION_STATUSES, "the application statuses"),
    },
    "cadre_relative": {"relation": (RELATIONS, "the relations of a cadre's declared relatives")},
    "subsidy_payment": {"kind": (PERSON_TAG_CODES, "PERSON_TAGS in cockpit/reference.py")},
    "service_step": {"department_code": (DEPARTMENT_CODES, "DEPARTMENTS in cockpit/reference.py")},
}

# Input fields that name a place: their value-map targets are area codes of the warehouse.
LOCATION_FIELDS: frozenset[str] = frozenset({"grid_code", "area_code", "township_code"})


def code_list(target: str, fld: str) -> tuple[tuple[str, ...], str] | None:
    """(codes, where defined) of a target's field, or None when the field takes any code."""
    return CODE_LISTS.get(target, {}).get(fld)
