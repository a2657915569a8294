"""The weekly meeting report (周例会报告, SPEC §11): an A4 PDF of one ISO week of one township.

``content`` gathers the week's numbers from ``queries/`` (the screens' reads), ``charts`` draws the
screens' figures (``figures/``) as print SVG, ``render`` typesets HTML into a PDF with WeasyPrint,
``generate`` is the entry point (``generate_report``), ``cli`` the ``report`` command.
"""
