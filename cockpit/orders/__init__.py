"""Work orders (工单, 派单): the second half of the digital brain (SPEC §9).

A warning, or one or several events, becomes a work order routed by the responsibility list
(``routing``, ``dispatch``); the assignee and the township move it through its states (``states``:
the one ``transition`` path; ``actions``: who may do what); orders past a deadline escalate
(``overdue``); MTTA and MTTR per board, department and grid (``metrics``); the scoped reads
(``records``); photos of a result (``photos``); the command line (``cli``).
"""
