"""Whistle and department response (街乡吹哨、部门报到, SPEC §10): the township's second mechanism (条块协同).

The township blows the whistle on a warning or a work order (``blow``); each summoned department's
part is a summons, moved through its states by the department and the township (``states``: the one
``transition`` path, shared with work orders through ``cockpit.workflow``; ``actions``; ``access``);
missed deadlines are marked and told (``overdue``); each department is scored per week, month or
quarter (``score``, with ``[score]`` in ``settings``); the reads of the screens and the command line
(``records``, ``cli``).
"""
