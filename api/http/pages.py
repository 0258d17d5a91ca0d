"""Public pages for people: proposals, projects and the books, with a picture of where the money went.

Everything here is also in the JSON API; these pages are for members and clients
who open the node in a browser. Markdown is rendered by governance.render (nh3
sanitised); every other value is escaped by Jinja.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template_string
from markupsafe import Markup, escape

from api.http.service import per_head, service
from api.usecases.governance import proposal_status
from governance.index import find_proposals
from governance.methods import CHOICES, Method
from governance.render import to_html
from ledger import entries as E
from ledger import records, witness
from ledger.index import find_balances, find_entries
from ledger.money import to_decimal
from ledger.summary import summarise
from projects.index import find_projects

bp = Blueprint("pages", __name__)

LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · {{ name }}</title>
<link rel="stylesheet" href="/static/css/coop.css">
<style>body{font-family:system-ui,sans-serif;max-width:56rem;margin:1.5rem auto;padding:0 1rem;color:#222;line-height:1.45}
nav a{margin-right:1rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd}
td.n{text-align:right;font-variant-numeric:tabular-nums}code,pre{background:#f4f4f4;padding:0 .3rem}pre{padding:.6rem;overflow-x:auto}
.state{font-size:.85em;padding:.1rem .4rem;border-radius:.3rem;background:#eef}.muted{color:#666}</style></head>
<body><nav><strong>{{ name }}</strong> &nbsp; <a href="/">home</a><a href="/proposals">proposals</a><a href="/projects">projects</a>
<a href="/books">the books</a><a href="/api/v1">API</a></nav>
<h1 dir="auto">{{ title }}</h1>
{{ body }}
</body></html>"""

PROPOSALS = """<table><tr><th>Proposal</th><th>State</th><th>Result</th><th>Closes</th><th>Effect</th></tr>
{% for p in rows %}<tr><td dir="auto"><a href="/proposals/{{ p.proposal_id }}">{{ p.title }}</a></td><td><span class="state">{{ p.state }}</span></td>
<td>{{ p.result or '' }}</td><td class="muted">{{ p.closes or 'draft' }}</td><td>{{ p.effect }}</td></tr>{% endfor %}</table>"""

PROPOSAL = """<p class="muted">{{ p.id }} · by {{ p.author }} · {{ p.method }} · effect {{ p.effect.kind }}
{% if p.opens %}· open {{ p.opens }} to {{ p.closes }}{% else %}· draft{% endif %}</p>
<div dir="auto">{{ html }}</div>
{% if tally %}<h2>{{ 'Outcome' if closed else 'Tally so far' }}: {{ tally.outcome }}</h2>
<table>{% for choice, n in tally.counts.items() %}<tr><td>{{ choice }}</td><td class="n">{{ n }}</td></tr>{% endfor %}</table>
<p>Quorum {{ tally.quorum_reached }} of {{ tally.quorum_needed }} needed.{% if tally.winner %} Winner: <strong>{{ tally.winner }}</strong>.{% endif %}</p>
{% if waiting %}<p class="muted">Not voted yet: {{ waiting|join(', ') }}</p>{% endif %}{% endif %}
{% if state == "open" %}{% include "vote.html" %}{% endif %}
<p class="muted">Vote with <code>coop proposal vote {{ p.id }} CHOICE</code> or by posting a signed vote to
<code>/api/v1/proposals/{{ p.id }}/votes</code>. Check the tally yourself with <code>coop verify</code>.</p>"""

PROJECTS = """<table><tr><th>Project</th><th>Client</th><th>State</th><th>Skills</th><th class="n">Budget</th><th>Deadline</th></tr>
{% for p, budget in rows %}<tr><td dir="auto">{{ p.title }} <span class="muted">({{ p.project_id }})</span></td><td>{{ p.client }}</td>
<td><span class="state">{{ p.state }}</span></td><td>{{ p.skills|join(', ') }}</td><td class="n">{{ budget }}</td>
<td>{{ p.deadline }}</td></tr>{% endfor %}</table>"""

BOOKS = """<p>Every amount below comes from a signed, append-only log of {{ size }} entries that anyone can check.</p>
{% for currency, picture in pictures %}<h2>Where the money went ({{ currency }})</h2>{{ picture }}{% endfor %}
<h2>Balances</h2>
<table><tr><th>Account</th><th class="n">Amount</th></tr>
{% for account, amount in balances %}<tr><td>{{ account }}</td><td class="n">{{ amount }}</td></tr>{% endfor %}</table>
<h2>Check it yourself</h2>
<p>The log's verifier key and its latest checkpoint{% if cosigned %}, cosigned by {{ cosigned|join(', ') }}{% endif %}:</p>
<pre>{{ vkey }}</pre><pre>{{ checkpoint }}</pre>
<p>With a clone of this co-op's repository: <code>coop verify</code> re-checks every signature, split and balance;
<code>coop ledger prove INDEX</code> gives a receipt that <code>coop ledger check-proof</code> verifies offline.</p>"""

# Where revenue went, in the order a person reads it, with colours that stay apart in print.
SEGMENTS = (
    ("paid out to members", "#2b8a3e"),
    ("held for members", "#8ce99a"),
    ("spent from the treasury", "#c92a2a"),
    ("in the treasury", "#ffa8a8"),
    ("in the funds", "#f59f00"),
    ("not split yet", "#adb5bd"),
)


def page(title: str, body: str, **values: Any) -> Response:
    """Render a page in the common layout."""
    name = service().view().charter()["name"]
    inner = Markup(render_template_string(body, **values))
    return Response(render_template_string(LAYOUT, title=title, name=name, body=inner), mimetype="text/html")


def money_picture(totals: dict[str, Any], currency: str) -> Markup:
    """Draw one currency's revenue as a bar split by where it went, as inline SVG with a legend."""
    split = totals["split"]
    parts = [
        totals["paid_out"],
        max(split["members"] - totals["paid_out"], 0),
        totals["expenses"],
        max(split["treasury"] - totals["expenses"], 0),
        split["funds"],
        max(totals["revenue"] - split["members"] - split["treasury"] - split["funds"], 0),
    ]
    whole = sum(parts) or 1
    width, x, shapes, legend = 640.0, 0.0, [], []
    for (label, colour), amount in zip(SEGMENTS, parts, strict=False):
        if not amount:
            continue
        share = amount / whole
        text = f"{label}: {to_decimal(amount, currency)} {currency} ({share:.0%})"
        shapes.append(f'<rect x="{x:.1f}" y="0" width="{share * width:.1f}" height="36" fill="{colour}"><title>{escape(text)}</title></rect>')
        legend.append(f'<li><span style="display:inline-block;width:.9em;height:.9em;background:{colour}"></span> {escape(text)}</li>')
        x += share * width
    revenue = f"{to_decimal(totals['revenue'], currency)} {currency}"
    svg = (f'<svg viewBox="0 0 {width:.0f} 36" width="100%" role="img" aria-label="where {escape(revenue)} of revenue went">'
           + "".join(shapes) + "</svg>")
    return Markup(f"<p>Revenue received: <strong>{escape(revenue)}</strong></p>{svg}<ul style='list-style:none;padding:0'>"
                  + "".join(legend) + "</ul>")


@bp.get("/proposals")
@per_head
def proposals_page() -> Response:
    """List proposals, open ones first."""
    return page("Proposals", PROPOSALS, rows=service().query(lambda: find_proposals(order="state")))


@bp.get("/proposals/<proposal_id>")
@per_head
def proposal_page(proposal_id: str) -> Response:
    """Show one proposal: its text, rendered and sanitised, and its tally; while it is open, a vote this browser can sign."""
    status = proposal_status(service().view(), proposal_id)
    waiting = [] if status.closed else list(status.not_voted)
    return page(status.body["title"], PROPOSAL, p=status.body, html=Markup(to_html(status.body["text"])), tally=status.tally,
                closed=status.closed, waiting=waiting, state=status.state, sha256=status.sha256,
                choices=CHOICES[Method(status.body["method"])])


@bp.get("/projects")
@per_head
def projects_page() -> Response:
    """List client projects and requests."""
    found = service().query(lambda: find_projects(order="state"))
    return page("Projects", PROJECTS, rows=[(p, f"{to_decimal(p.budget, p.currency)} {p.currency}") for p in found])


@bp.get("/books")
@per_head
def books_page() -> Response:
    """Show where the money went, the balances, and how to check them."""
    svc = service()
    entries, sums = svc.query(lambda: (find_entries(), find_balances()))
    view = svc.view()
    totals = summarise(entries)
    balances = [(b.account, f"{to_decimal(E.as_read(b.account, b.amount), b.currency)} {b.currency}") for b in sums if b.amount]
    checkpoint = witness.cosigned_checkpoint(view).decode("utf-8") if entries else "(no entries yet)"
    cosigned = [name for name, size in witness.summary(view).items() if size == len(entries)]
    return page("The books", BOOKS, size=len(entries), pictures=[(c, money_picture(t, c)) for c, t in sorted(totals.items())],
                balances=balances, vkey=records.verifier(view).to_vkey(), checkpoint=checkpoint, cosigned=cosigned)
