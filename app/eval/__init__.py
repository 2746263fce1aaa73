"""Scenario evaluation (DESIGN.md §4.2): ``spec`` reads scenario files, ``runner`` drives the
real webhook endpoints with signed payloads (``signing``) on a fresh database and frozen clock,
``checks`` judges each step and the final state, ``suite`` runs many and prints the report.
``safety`` scores the triage classifier alone on a labelled safety set (DESIGN.md §4.6)."""
