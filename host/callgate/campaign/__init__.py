"""Outbound campaigns: the campaign file (YAML), its contacts (CSV) and do-not-call lists,
checked with `FILE:LINE` problems (load.py), and the files the board plans them from
(board.py; the board's side is firmware/callgate/campaigns.py). docs/outbound.md, Campaigns."""

from .load import Campaign, CampaignError, load_campaign  # noqa: F401
