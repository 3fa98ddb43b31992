"""The JSON schema (draft 2020-12) of a site file, `site.yaml`. docs/site.md explains the fields.

The schema checks each value on its own: types, names, enums, ranges. What it cannot express
(a queue or menu that is referenced exists, digits unique per menu, extensions unique, prompt
files readable, ports that the board has, overflow chains that loop, queues no agent can
take, business hours in order) is in check.py.
"""

PLANS = ("CN", "US", "EU")
LAWS = ("ulaw", "alaw")
CID_FORMATS = ("bell202", "v23", "dtmf", "none")
CID_STARTS = ("ring-end", "reversal", "alert")
DISCONNECTS = ("loop-drop", "reversal", "busy")
AFTER_PLAY = ("menu", "hangup")
# The fields each action uses besides `action` (any other is an error, check.py).
ACTION_FIELDS = {
    "menu": ("menu",),
    "queue": ("queue",),
    "play": ("prompt", "then"),
    "repeat": (),
    "operator": (),
    "hangup": (),
    "callback": ("prompt", "then_prompt"),  # asks for a number ended by #, then_prompt after it
    "voicemail": ("prompt", "max_s"),  # the prompt, then the caller's words up to max_s or #
}
ACTIONS = tuple(ACTION_FIELDS)
ACTION_PROMPTS = ("prompt", "then_prompt")  # the action fields that name a prompt
STRATEGIES = ("ring-all", "longest-idle", "round-robin", "fewest-calls")
RECORDING = ("none", "all", "sample")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DIGITS = "0123456789*#"
SURVEY_MIN, SURVEY_MAX = 1, 5  # a survey question's keys when it does not say
QUALITY_MAX = 5  # a scorecard criterion's top score when it does not say (scores 0..max)

NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,31}$"}
AGENT_STARTS = ("ready", "logged-out")
FEATURES = ("login", "ready", "pause", "disposition", "listen", "whisper", "barge")  # the agents' feature
# codes (firmware agents.py; the last three a supervisor's, + an agent's extension: supervise.py)
AUTO_PAUSE_REASON = "no-answer"  # the firmware's own pause reason (agents.py AUTO_REASON)
_CODE = {"type": "string", "pattern": "^[0-9*#]{1,4}$"}  # a feature code: 1 to 4 keys
_SUB_CODE = {"type": "string", "pattern": "^[0-9]{1,3}$"}  # a reason's or disposition's: 1 to 3 digits
_CODED = {
    "type": "array",
    "maxItems": 30,
    "items": {
        "type": "object",
        "required": ["code", "name"],
        "additionalProperties": False,
        "properties": {"code": _SUB_CODE, "name": NAME},
    },
}
_NAME_MSG = "a name: a lowercase letter, then up to 31 of a-z 0-9 _ -"
_WAV_PATH = r"^(?!.*\.\./)[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}\.wav$"
_MS = {"type": "integer", "minimum": 500, "maximum": 60000}
_RANGE = r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"

_ACTION = {
    "type": "object",
    "required": ["action"],
    "additionalProperties": False,
    "properties": {
        "action": {"enum": list(ACTIONS)},
        "menu": NAME,
        "queue": NAME,
        "prompt": NAME,
        "then": {"enum": list(AFTER_PLAY)},
        "then_prompt": NAME,
        "max_s": {"type": "integer", "minimum": 5, "maximum": 300},
    },
    "allOf": [
        {"if": {"required": ["action"], "properties": {"action": {"const": "menu"}}}, "then": {"required": ["menu"]}},
        {"if": {"required": ["action"], "properties": {"action": {"const": "queue"}}}, "then": {"required": ["queue"]}},
        {"if": {"required": ["action"], "properties": {"action": {"const": "play"}}}, "then": {"required": ["prompt"]}},
        {"if": {"required": ["action"], "properties": {"action": {"const": "callback"}}}, "then": {"required": ["prompt"]}},
        {"if": {"required": ["action"], "properties": {"action": {"const": "voicemail"}}}, "then": {"required": ["prompt"]}},
    ],
}

_FXO = {
    "type": "object",
    "required": ["port", "kind"],
    "additionalProperties": False,
    "properties": {
        "port": {"type": "integer", "minimum": 0, "maximum": 63},
        "kind": {"const": "fxo"},
        "name": NAME,
        "plan": {"enum": list(PLANS)},
        "callerid": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "format": {"enum": list(CID_FORMATS)},
                "start": {"enum": list(CID_STARTS)},
            },
        },
        "disconnect": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": list(DISCONNECTS)}},
        "answer_rings": {"type": "integer", "minimum": 1, "maximum": 10},
        "menu": NAME,
        "outbound": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "allow": {"type": "boolean"},
                "prefix": {"type": "string", "pattern": "^[0-9*#]{0,8}$"},
                "no_answer_s": {"type": "integer", "minimum": 5, "maximum": 300},
                "dialing": {"enum": ["dtmf", "pulse"]},  # pulse: loop disconnect, 10 pulses a second
            },
        },
    },
}

_FXS = {
    "type": "object",
    "required": ["port", "kind", "agent"],
    "additionalProperties": False,
    "properties": {
        "port": {"type": "integer", "minimum": 0, "maximum": 63},
        "kind": {"const": "fxs"},
        "name": NAME,
        "agent": {
            "type": "object",
            "required": ["name", "extension"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 40},
                "extension": {"type": "string", "pattern": "^[0-9]{2,6}$"},
                "skills": {"type": "array", "uniqueItems": True, "items": NAME},
                "supervisor": {"type": "boolean"},  # may listen, whisper, barge (agents.feature_codes)
            },
        },
    },
}

_MENU = {
    "type": "object",
    "required": ["prompt"],
    "additionalProperties": False,
    "properties": {
        "prompt": NAME,
        "barge_in": {"type": "boolean"},
        "timeout_ms": _MS,
        "retries": {"type": "integer", "minimum": 0, "maximum": 9},
        "invalid_prompt": NAME,
        "timeout_prompt": NAME,
        "fallback": _ACTION,
        "options": {
            "type": "object",
            "propertyNames": {"pattern": "^[0-9*#]$"},
            "additionalProperties": _ACTION,
        },
    },
}

# The bound on one call's time in the menus (the board enforces it, calls.py): `steps` prompts
# over the whole call, `seconds` per visit to the menus; then the `then` action (not menu,
# repeat or play: check.py), with `goodbye_prompt` played before a hang-up.
_LIMIT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "steps": {"type": "integer", "minimum": 3, "maximum": 500},
        "seconds": {"type": "integer", "minimum": 30, "maximum": 3600},
        "then": _ACTION,
        "goodbye_prompt": NAME,
    },
}
LIMIT_ACTIONS = ("queue", "operator", "callback", "voicemail", "hangup")  # what may end it

# Callbacks (firmware callbacks.py): the queue their numbers wait in, what to do with an
# answering machine, and per outcome of an attempt the wait before the next and the most
# attempts in all. "cut": an attempt a power cut broke off.
RETRY_OUTCOMES = ("busy", "no-answer", "congestion", "no-dial-tone", "sit", "no-result", "machine", "cut")
MACHINE = ("leave", "retry")
_RETRY = {
    "type": "object",
    "required": ["after_s", "attempts"],
    "additionalProperties": False,
    "properties": {
        "after_s": {"type": "integer", "minimum": 10, "maximum": 86400},
        "attempts": {"type": "integer", "minimum": 1, "maximum": 10},
    },
}
_CALLBACKS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "queue": NAME,
        "machine": {"enum": list(MACHINE)},
        "retry": {"type": "object", "additionalProperties": False,
                  "properties": {o: _RETRY for o in RETRY_OUTCOMES}},
    },
}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["site", "board", "ports", "prompts", "ivr"],
    "additionalProperties": False,
    "properties": {
        "site": NAME,
        "board": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
        "law": {"enum": list(LAWS)},
        "ports": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["kind"],
                "properties": {"kind": {"enum": ["fxo", "fxs"]}},
                "allOf": [
                    {"if": {"required": ["kind"], "properties": {"kind": {"const": "fxo"}}}, "then": _FXO},
                    {"if": {"required": ["kind"], "properties": {"kind": {"const": "fxs"}}}, "then": _FXS},
                ],
            },
        },
        "prompts": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": NAME,
            "additionalProperties": {"type": "string", "pattern": _WAV_PATH},
        },
        "ivr": {
            "type": "object",
            "required": ["start", "menus"],
            "additionalProperties": False,
            "properties": {
                "start": NAME,
                "after_hours": NAME,
                "operator": NAME,
                "limit": _LIMIT,
                "menus": {"type": "object", "minProperties": 1, "propertyNames": NAME, "additionalProperties": _MENU},
            },
        },
        "queues": {
            "type": "object",
            "propertyNames": NAME,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "skills": {"type": "array", "uniqueItems": True, "items": NAME},
                    "strategy": {"enum": list(STRATEGIES)},
                    "hold_prompt": NAME,
                    "position_prompts": {"type": "array", "minItems": 1, "maxItems": 9, "items": NAME},
                    "announce_every_s": {"type": "integer", "minimum": 10, "maximum": 600},
                    "max_wait_s": {"type": "integer", "minimum": 10, "maximum": 3600},
                    "overflow": _ACTION,
                    "ring_timeout_s": {"type": "integer", "minimum": 5, "maximum": 120},
                    "wrap_up_s": {"type": "integer", "minimum": 0, "maximum": 600},
                    "record": {"type": "boolean"},
                    "extension": {"type": "string", "pattern": "^[0-9]{2,6}$"},  # a transfer's digits
                },
            },
        },
        "callbacks": _CALLBACKS,
        "survey": {
            "type": "object",
            "required": ["questions"],
            "additionalProperties": False,
            "properties": {
                "enabled": {"type": "boolean"},
                "intro_prompt": NAME,
                "thanks_prompt": NAME,
                "timeout_ms": _MS,
                "questions": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 9,
                    "items": {
                        "type": "object",
                        "required": ["id", "prompt"],
                        "additionalProperties": False,
                        "properties": {
                            "id": NAME,
                            "prompt": NAME,
                            "min": {"type": "integer", "minimum": 0, "maximum": 9},
                            "max": {"type": "integer", "minimum": 0, "maximum": 9},
                        },
                    },
                },
            },
        },
        "recording": {
            "type": "object",
            "required": ["mode"],
            "additionalProperties": False,
            "properties": {
                "mode": {"enum": list(RECORDING)},
                "sample_percent": {"type": "integer", "minimum": 1, "maximum": 100},
                "announce_prompt": NAME,
                "retention_days": {"type": "integer", "minimum": 1, "maximum": 3650},
            },
        },
        "agents": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "start": {"enum": list(AGENT_STARTS)},
                "auto_pause": {"type": "integer", "minimum": 0, "maximum": 20},
                "flash_ms": {"type": "integer", "minimum": 0, "maximum": 2000},  # 0: no hook flash
                # after a flash: this prefix, a number and # transfer the call to that number on
                # a free trunk that may call out (absent: no outside transfers)
                "outside_prefix": {"type": "string", "pattern": "^[0-9*]{1,4}$"},
                "feature_codes": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {f: _CODE for f in FEATURES},
                },
                "pause_reasons": _CODED,
                "dispositions": _CODED,
            },
        },
        "quality": {  # the reviewers' scorecard (host only: `callgate serve --site`, docs/ops.md)
            "type": "object",
            "required": ["criteria"],
            "additionalProperties": False,
            "properties": {
                "per_agent": {"type": "integer", "minimum": 1, "maximum": 100},
                "min_talk_s": {"type": "number", "minimum": 0, "maximum": 3600},
                "pass_percent": {"type": "number", "minimum": 0, "maximum": 100},
                "criteria": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 30,
                    "items": {
                        "type": "object",
                        "required": ["id", "label", "weight"],
                        "additionalProperties": False,
                        "properties": {
                            "id": NAME,
                            "label": {"type": "string", "minLength": 1, "maxLength": 200},
                            "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                            "max": {"type": "integer", "minimum": 1, "maximum": 10},
                        },
                    },
                },
            },
        },
        "hours": {
            "type": "object",
            "required": ["weekly"],
            "additionalProperties": False,
            "properties": {
                "utc_offset": {"type": "string", "pattern": r"^[+-]([01][0-9]|2[0-3]):[0-5][0-9]$"},
                "weekly": {
                    "type": "object",
                    "propertyNames": {"enum": list(DAYS)},
                    "additionalProperties": {"type": "array", "items": {"type": "string", "pattern": _RANGE}},
                },
                "closed": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                },
            },
        },
    },
}

# Friendlier words for the schema's patterns, by the pattern.
PATTERN_WORDS = {
    NAME["pattern"]: _NAME_MSG,
    _RANGE: "a time range HH:MM-HH:MM (00:00 to 24:00)",
    "^[0-9*#]$": "one DTMF key: 0-9, * or #",
    "^[0-9*#]{1,4}$": "1 to 4 DTMF keys: 0-9, * or #",
    "^[0-9*]{1,4}$": "1 to 4 DTMF keys: 0-9 or * (# ends the number)",
    "^[0-9]{1,3}$": "1 to 3 digits",
    "^[0-9]{2,6}$": "2 to 6 digits",
    r"^[+-]([01][0-9]|2[0-3]):[0-5][0-9]$": "an offset like +08:00 or -05:00",
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "a date YYYY-MM-DD",
    _WAV_PATH: "a .wav file inside the site folder (a relative path of A-Z a-z 0-9 _ . / -)",
}
