"""Sites onto boards and back (docs/callcenter.md, Host tools).

provision.py  provision(client, site): diff with the board's site, send what changed (verified,
              resumable), switch site.json atomically, ask the board to reload it;
              install(flash, site, board): the same files into a powered-off board's flash
pull.py       pull_config(fs): the site.yaml the board runs; pull_prompts(fs, current, dir)
"""

from .provision import OP_SITE_RELOAD, ProvisionRefused, install, provision
from .pull import NoSite, pull_config, pull_prompts

__all__ = ["NoSite", "OP_SITE_RELOAD", "ProvisionRefused", "install", "provision", "pull_config", "pull_prompts"]
