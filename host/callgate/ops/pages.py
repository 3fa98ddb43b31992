"""The HTML pages: a shell each, filled and kept up to date by static/app.js from the API and
the event stream. Nothing but the login form works without the script."""

from html import escape


def _layout(title: str, user, page: str, body: str, ext: str = "") -> str:
    nav = ""
    if user is not None:
        links = [("/agent" + (f"?ext={escape(ext)}" if ext else ""), "Agent")]
        if user["role"] in ("supervisor", "admin"):
            links.insert(0, ("/wallboard", "Wallboard"))
        links.append(("/calls", "Calls"))
        if user["role"] in ("supervisor", "admin"):
            links.append(("/quality", "Quality"))
        nav = ("<nav>" + "".join(f'<a href="{h}" class="{"on" if t.lower() == page else ""}">{t}</a>' for h, t in links)
               + f'<span class="who">{escape(user["name"])} ({escape(user["role"])})</span>'
               + f'<form method="post" action="/logout"><input type="hidden" name="csrf" value="{escape(user["csrf"])}">'
               + '<button class="link">Log out</button></form></nav>')
    csrf = f'<meta name="csrf" content="{escape(user["csrf"])}">' if user is not None else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · callgate</title>{csrf}
<link rel="stylesheet" href="/static/app.css"></head>
<body data-page="{page}" data-ext="{escape(ext)}">
<header><span class="brand">callgate</span><span class="title">{escape(title)}</span>{nav}</header>
<main>{body}</main>
<script src="/static/app.js"></script>
</body></html>
"""


def login(token: str, nxt: str, failed: bool) -> str:
    msg = '<p class="error" id="login-error">Wrong user name or password.</p>' if failed else ""
    body = f"""<form class="card login" method="post" action="/login">
<h2>Log in</h2>{msg}
<input type="hidden" name="csrf" value="{escape(token)}"><input type="hidden" name="next" value="{escape(nxt)}">
<label>User <input name="user" id="user" autocomplete="username" required autofocus></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label>
<button id="login">Log in</button></form>"""
    return _layout("Log in", None, "login", body)


def wallboard(user, ext) -> str:
    body = """<div id="alarms"></div>
<section class="tiles" id="tiles"></section>
<div class="row">
<section class="card grow"><h2>Waiting now</h2><table id="waiting"><thead><tr><th>Queue</th><th>Waiting</th><th>Longest wait</th></tr></thead><tbody></tbody></table></section>
<section class="card grow"><h2>Agents</h2><table id="agents"><thead><tr><th>Ext</th><th>Agent</th><th>State</th><th>Time in state</th><th>Calls</th></tr></thead><tbody></tbody></table></section>
</div>
<div class="row">
<section class="card grow"><h2>Service level</h2><table id="sl"><thead><tr><th></th><th>Calls</th><th>Answered</th><th>Abandoned</th><th>SL (of answered)</th><th>SL (incl. abandoned)</th><th>ASA</th><th>AHT</th><th>Survey</th></tr></thead><tbody></tbody></table></section>
</div>
<section class="card"><h2>Calls per 15 minutes</h2><div id="chart"></div></section>
<p class="status" id="status">connecting…</p>"""
    return _layout("Wallboard", user, "wallboard", body, ext)


def agent(user, ext) -> str:
    body = f"""<div class="row">
<section class="card grow" id="pop"><h2>Extension {escape(ext)}</h2><p class="muted" id="pop-empty">No call yet: the caller's card shows here when your phone rings.</p>
<div id="pop-call" hidden>
<dl class="call"><dt>Caller</dt><dd id="pop-number"></dd><dt>Name (caller ID)</dt><dd id="pop-cidname"></dd>
<dt>Queue</dt><dd id="pop-queue"></dd><dt>IVR path</dt><dd id="pop-ivr"></dd><dt>Waited</dt><dd id="pop-wait"></dd></dl>
<h3 id="card-title">Customer</h3>
<form id="card" class="customer">
<label>Name <input name="name" id="cust-name" required></label>
<label>Company <input name="company" id="cust-company"></label>
<label>Numbers <input name="numbers" id="cust-numbers" required></label>
<label>Notes <textarea name="notes" id="cust-notes" rows="2"></textarea></label>
<button id="cust-save">Save customer</button> <span id="cust-status" class="muted"></span>
</form>
<h3>Note on this call</h3>
<form id="note"><textarea id="note-text" rows="2" placeholder="What the caller wanted…"></textarea>
<button id="note-save">Save note</button> <span id="note-status" class="muted"></span></form>
</div></section>
<section class="card grow"><h2>Last calls of this caller</h2><table id="last"><thead><tr><th>When</th><th>Queue</th><th>Agent</th><th>Outcome</th><th>Survey</th><th>Notes</th></tr></thead><tbody></tbody></table></section>
</div>
<p class="status" id="status">connecting…</p>"""
    return _layout(f"Agent {ext}", user, "agent", body, ext)


def calls(user, ext) -> str:
    body = """<form id="search" class="card search">
<label>From <input type="datetime-local" name="since" id="since"></label>
<label>To <input type="datetime-local" name="until" id="until"></label>
<label>Queue <input name="queue" id="queue"></label>
<label>Agent <input name="agent" id="agent"></label>
<label>Number <input name="number" id="number"></label>
<label>Outcome <select name="outcome" id="outcome"><option value="">any</option><option>answered</option><option>abandoned</option>
<option>callback</option><option>voicemail</option><option>ivr</option><option>unanswered</option></select></label>
<button id="search-go">Search</button></form>
<p class="error" id="calls-error" hidden></p>
<section class="card"><table id="calls"><thead><tr><th>Arrived</th><th>Number</th><th>Name</th><th>Queue</th><th>Agent</th><th>Outcome</th><th>Wait</th><th>Talk</th><th>Survey</th><th>Notes</th><th>Score</th><th>Recording</th></tr></thead><tbody></tbody></table>
<p class="muted" id="calls-count"></p></section>"""
    return _layout("Calls", user, "calls", body, ext)


def quality(user, ext) -> str:
    body = """<form id="draw" class="card search">
<label>From <input type="datetime-local" name="since" id="since"></label>
<label>To <input type="datetime-local" name="until" id="until"></label>
<label>Calls per agent <input type="number" min="1" name="per_agent" id="per-agent"></label>
<label>Seed <input type="number" min="0" name="seed" id="seed" value="1"></label>
<button id="draw-go">Draw</button></form>
<p class="error" id="quality-error" hidden></p>
<div class="row">
<section class="card grow"><h2>Worklist</h2><p class="muted" id="worklist-count"></p>
<table id="worklist"><thead><tr><th>Arrived</th><th>Agent</th><th>Number</th><th>Queue</th><th>Talk</th><th>Recording</th><th>Score</th><th></th></tr></thead><tbody></tbody></table>
<p class="muted" id="drawn"></p></section>
<section class="card grow" id="review" hidden><h2 id="review-title">Scorecard</h2>
<audio controls preload="none" id="review-audio"></audio>
<form id="scorecard"><table id="criteria"><tbody></tbody></table>
<label>Comment <textarea id="sc-comment" rows="2"></textarea></label>
<button id="sc-save">Save scorecard</button> <span id="sc-status" class="muted"></span></form>
<h3>Scorecards of this call</h3><ul id="sc-list"></ul></section>
</div>
<section class="card"><h2>Agents</h2><table id="quality-agents"><thead><tr><th>Ext</th><th>Agent</th><th>Calls reviewed</th><th>Average</th><th>Lowest</th><th>Highest</th><th>Passed</th></tr></thead><tbody></tbody></table></section>"""
    return _layout("Quality review", user, "quality", body, ext)
