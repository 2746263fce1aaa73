"""The demo clinic and its conversation, shipped inside the package for ``frontdesk demo``.

The files here are links to ``testdata/`` in a checkout (one copy to edit); building a wheel
(``pip install .``) copies their contents, so an installed ``frontdesk demo`` and
``frontdesk chat`` need no checkout.
"""

from __future__ import annotations

from pathlib import Path

#: This folder.
DEMO_DIR = Path(__file__).resolve().parent
#: The demo clinic file (a medspa with services, providers, hours, FAQs and policies).
DEMO_CLINIC = DEMO_DIR / "demo-clinic.json"
#: The conversation ``frontdesk demo`` runs: a new patient asks a price, books and pays.
DEMO_SCENARIO = DEMO_DIR / "demo-scenario.yaml"
