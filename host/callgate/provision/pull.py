"""Read the site a board runs back from it: the source site.yaml and, if asked, its prompts.

    with connect(port) as c:
        text, current = pull_config(RemoteFiles(c))      # bytes of site/<id>/site.yaml
        pull_prompts(RemoteFiles(c), current, "prompts")   # NAME.wav, each checked by sha256

The root site.json names the site's folder ("dir", written by `callgate provision`), which
holds site.yaml beside the bundle and prompts/.
"""

import hashlib
import json
import os
import pathlib

from ..firmware.link import messages
from ..firmware.link.errors import RemoteError
from .provision import ROOT


class NoSite(ValueError):
    """The board has no site that `config pull` can read (one line in the CLI)."""


def current_site(fs) -> dict:
    """The board's root site.json; NoSite when it is missing, unreadable or has no "dir"."""
    try:
        data = fs.read(ROOT)
    except RemoteError as e:
        if e.code == messages.ERR_NOT_FOUND:
            raise NoSite(f"the board has no site ({ROOT} is missing): `callgate provision SITE.yaml` puts one there") from None
        raise
    try:
        d = json.loads(data)
    except ValueError as e:
        raise NoSite(f"the board's {ROOT} is not JSON: {e}") from None
    if not isinstance(d, dict) or not d.get("dir"):
        raise NoSite(f"the board's {ROOT} names no folder (\"dir\"): it was not put there by `callgate provision`, "
                     "so there is no site.yaml to pull")
    return d


def pull_config(fs) -> tuple:
    """(site.yaml bytes, the root site.json as a dict)."""
    d = current_site(fs)
    path = f"{d['dir']}/site.yaml"
    try:
        return fs.read(path), d
    except RemoteError as e:
        if e.code == messages.ERR_NOT_FOUND:
            raise NoSite(f"the board's site folder {d['dir']} has no site.yaml") from None
        raise


def pull_prompts(fs, current: dict, dest) -> list:
    """Download every prompt of the site to dest/NAME.wav (checked against the board's sha256,
    written through NAME.wav.part); returns the paths written."""
    dest = pathlib.Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for name, p in sorted((current.get("prompts") or {}).items()):
        path = f"{current['dir']}/{p.get('file', f'prompts/{name}.wav')}"
        want = fs.sha256(path)
        data = fs.read(path)
        if hashlib.sha256(data).digest() != want:
            data = fs.read(path)
            if hashlib.sha256(data).digest() != fs.sha256(path):
                raise RemoteError(messages.ERR_REFUSED, f"{path}: the copy read does not match the board's")
        local = dest / f"{name}.wav"
        tmp = local.with_name(local.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, local)
        out.append(local)
    return out
