"""The operations center (docs/ops.md): `callgate serve` connects to boards, keeps every event
and call record in one store, and serves the wallboard, the agent page, the call list and the
quality review.

    store.py      the database (SQLite or PostgreSQL): schema, versioned migrations, every query
    numbers.py    caller numbers normalised the same way for customers and calls
    ingest.py     one thread per board: events and call records into the store, exactly once
    live.py       the floor right now (calls waiting, agents' states), from the events
    auth.py       users, roles, password hashes, sessions, CSRF tokens
    customers.py  the customer CSV import (all or nothing, line-numbered errors)
    quality.py    the scorecard from the site file, a review weighed, the worklist
    api.py        the JSON API under /api/ and the event stream
    pages.py      the HTML pages (the login form, the wallboard, the agent page, the calls, quality)
    web.py        the aiohttp application: routes, the login check, startup and shutdown
"""
