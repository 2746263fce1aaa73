"""The flows of DESIGN.md §2, one module each, each readable top to bottom:

- :mod:`~app.flows.inbound_text`: a carrier's webhook hands over a text; route, store, enqueue;
- :mod:`~app.flows.turn`: the worker answers a conversation's new texts;
- :mod:`~app.flows.limits`: a number past the clinic's limits gets one polite reply and staff;
- :mod:`~app.flows.sending`: a queued text or staff email goes out; delivery reports come back;
- :mod:`~app.flows.missed_call`: a call nobody answered gets a text-back;
- :mod:`~app.flows.payment`: a paid deposit books the held slot;
- :mod:`~app.flows.staff`: the AI hands a conversation to staff; staff take over and resume;
- :mod:`~app.flows.waitlist`: a freed slot is offered to one waiting patient at a time;
- :mod:`~app.flows.sweeper`: the periodic job that finds what a dead worker left behind.
"""
