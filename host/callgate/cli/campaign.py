"""`callgate campaign check FILE [--site SITE]`: an outbound campaign file, its contacts and its
do-not-call lists (docs/outbound.md, Campaigns).

    callgate campaign check campaigns/autumn-survey.yaml --site sites/demo/site.yaml

"ok" and the numbers (contacts to call, those on a do-not-call list, the window): exit 0; else
one `FILE:LINE: FIELD: message` line per problem, exit 2. With --site, the prompts and the
queue the campaign names must be the site's. Loading a campaign onto a board and running it
come with the board's side of campaigns (issue 15's next step).
"""

from ..campaign import CampaignError, load_campaign
from ..site import SiteError, load_site
from .output import emit
from .site import problems


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("campaign", help="outbound campaigns: check a campaign file", description=__doc__)
    sub = p.add_subparsers(dest="campaign_command", metavar="[check]", required=True)
    c = sub.add_parser("check", help="validate a campaign file, its contacts and do-not-call lists",
                       description=__doc__)
    c.add_argument("file", help="the campaign file (YAML)")
    c.add_argument("--site", metavar="SITE", help="the site file whose prompts and queues it uses")
    c.set_defaults(func=run_check)


def run_check(args) -> int:
    site = None
    if args.site:
        try:
            site = load_site(args.site)
        except SiteError as e:
            return problems(args, e, " (the campaign's --site)")
    try:
        c = load_campaign(args.file, site)
    except CampaignError as e:
        return problems(args, e, file=args.file)
    d = c.data
    window = d.get("window", "08:00-21:00")
    checked = "prompts checked against " + args.site if site else "prompts not checked (no --site)"
    emit(args, {"ok": True, "problems": [], "campaign": c.name, "kind": c.kind, "contacts": len(c.contacts),
                "do_not_call": len(c.skipped), "window": window, "site_checked": site is not None},
         f"{args.file}: ok ({c.kind} campaign {c.name}: {len(c.contacts)} contacts to call, "
         f"{len(c.skipped)} on a do-not-call list, window {window} callee time; {checked})")
    return 0
