"""Sites: one YAML file describing a call center on a board (docs/site.md).

    site = load_site("sites/demo/site.yaml")     # SiteError lists every problem, FILE:LINE: FIELD: msg
    build(site, "build/site-demo")               # site.json + prompts/*.wav (8 kHz G.711, board's law)

yamlpos.py  YAML -> plain data with the line of every value
schema.py   the JSON schema (types, names, enums, ranges)
check.py    load_site: YAML -> schema -> cross-checks (references, uniqueness, board, prompts, hours)
build.py    the compiled site bundle the firmware loads (firmware/callgate/ivr.py)
"""

from .build import BUNDLE_FILE, BUNDLE_VERSION, build, bundle, convert_prompt
from .check import Site, SiteError, check_text, load_site

__all__ = ["BUNDLE_FILE", "BUNDLE_VERSION", "Site", "SiteError", "build", "bundle", "check_text",
           "convert_prompt", "load_site"]
