"""The JSON schema (draft 2020-12) of a campaign file. docs/outbound.md, Campaigns, explains
the fields; what the schema cannot say (the kind's own section, a window that ends before it
starts, the files, the site's prompts and queues) is in load.py."""

from ..site.schema import _RANGE, _RETRY, DAYS, NAME, RETRY_OUTCOMES

KINDS = ("survey", "notification", "agent-connected")
SECTION = {"survey": "survey", "notification": "notification", "agent-connected": "agent_connected"}
MAX_CONTACTS = 5000  # the board keeps two bytes a contact in its heap (firmware campaigns.py)
DEFAULT_WINDOW = "08:00-21:00"
# (after_s, attempts) per outcome where the file does not say; an outcome without a rule
# (sit, fax, machine) is not tried again. "cut": an attempt a power cut broke off.
DEFAULT_RETRY = {"busy": (600, 3), "no-answer": (3600, 3), "congestion": (300, 3), "no-dial-tone": (60, 3),
                 "no-result": (600, 2), "cut": (60, 3)}
_OFFSET = r"^[+-]([01][0-9]|2[0-3]):[0-5][0-9]$"  # the site's utc_offset (its words: site PATTERN_WORDS)
_KEY = {"type": "string", "pattern": "^[0-9*#]$"}
_FILE = {"type": "string", "minLength": 1, "maxLength": 300}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["campaign", "kind", "contacts"],
    "additionalProperties": False,
    "properties": {
        "campaign": NAME,
        "kind": {"enum": list(KINDS)},
        "contacts": _FILE,
        "do_not_call": {"type": "array", "maxItems": 10, "items": _FILE},
        "utc_offset": {"type": "string", "pattern": _OFFSET},
        "window": {"type": "string", "pattern": _RANGE},
        "days": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": list(DAYS)}},
        "attempts": {"type": "integer", "minimum": 1, "maximum": 10},
        "lines": {"type": "integer", "minimum": 1, "maximum": 8},
        "retry": {"type": "object", "additionalProperties": False,
                  "properties": {o: _RETRY for o in RETRY_OUTCOMES}},
        "survey": {
            "type": "object",
            "required": ["questions"],
            "additionalProperties": False,
            "properties": {
                "intro_prompt": NAME,
                "thanks_prompt": NAME,
                "timeout_ms": {"type": "integer", "minimum": 1000, "maximum": 30000},
                "questions": {
                    "type": "array", "minItems": 1, "maxItems": 10,
                    "items": {
                        "type": "object",
                        "required": ["id", "prompt"],
                        "additionalProperties": False,
                        "properties": {"id": NAME, "prompt": NAME,
                                       "min": {"type": "integer", "minimum": 0, "maximum": 9},
                                       "max": {"type": "integer", "minimum": 0, "maximum": 9}},
                    },
                },
            },
        },
        "notification": {
            "type": "object",
            "required": ["prompt"],
            "additionalProperties": False,
            "properties": {"prompt": NAME, "confirm_key": _KEY, "repeat_key": _KEY, "thanks_prompt": NAME,
                           "timeout_ms": {"type": "integer", "minimum": 1000, "maximum": 30000}},
        },
        "agent_connected": {
            "type": "object",
            "required": ["queue", "id_prompt"],
            "additionalProperties": False,
            "properties": {"queue": NAME, "id_prompt": NAME,
                           "max_abandon_pct": {"type": "number", "minimum": 0, "maximum": 10}},
        },
    },
}
