"""The `coop` command: one click group, a subcommand for everything a member does.

Errors the platform raises on purpose (CoopError), those of the machine
(OSError: a missing folder, a busy port) and damage the git library or the
index database reports are caught once here (`run`) and printed as one line;
anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import threading

import click
import peewee
import pygit2

from api import demo
from api.chat import bridge
from api.chat.matrix import Matrix
from api.cli.areas import SECTIONS, AreaGroup
from api.cli.governance import COMMANDS as governance_commands
from api.cli.keys import COMMANDS as keys_commands
from api.cli.ledger import ledger
from api.cli.members import COMMANDS as members_commands
from api.cli.nodes import COMMANDS as node_commands
from api.cli.projects import COMMANDS as projects_commands
from api.cli.replication import COMMANDS as replication_commands
from api.context import Context, new_passphrase, pass_ctx, progress
from api.wiring import create_node, open_node
from coop import audit
from coop.errors import BadInput, CoopError
from coop.keys import KDF_COSTS

WAITRESS_BODY_FACTOR = 16


@click.group(cls=AreaGroup, sections=SECTIONS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", envvar="COOP_HOME", help="Node data directory (default ./coop-data).")
@click.option("--as", "identity", envvar="COOP_IDENTITY", help="Act as this identity (a handle whose key this node holds).")
@click.pass_context
def cli(click_ctx: click.Context, home: str | None, identity: str | None) -> None:
    """Coop: a co-op's proposals, votes, projects and money as signed, verifiable records."""
    click_ctx.obj = Context(home, identity)


@cli.command()
@click.option("--name", required=True, help="The co-op's name, e.g. 'Harbour Devs'.")
@click.option("--origin", required=True, help="The co-op's log origin, e.g. harbour.example/coop.")
@click.option("--founder", required=True, help="The founder's handle; their key is created on this node.")
@click.option("--node-name", default="node", show_default=True, help="This node's name (signs commits).")
@click.option("--kdf-cost", type=click.Choice(list(KDF_COSTS)), help="Argon2id cost for the key files (default: interactive).")
@click.option("--demo", "demo_data", is_flag=True, help="Also fill the node with demo data.")
@pass_ctx
def init(ctx: Context, name: str, origin: str, founder: str, node_name: str, kdf_cost: str | None, demo_data: bool) -> None:
    """Create a node: repository, charter, the founder's key and record, the node key (all or nothing)."""
    passphrase = new_passphrase()
    node = create_node({**ctx.overrides, "kdf_cost": kdf_cost}, name, origin, founder, node_name, passphrase,
                       demo.fill if demo_data else None, demo.charter_rules(founder) if demo_data else None)
    click.echo(f"Created co-op {name!r} ({origin}) at {node.home}: founder {founder}, node {node.name}")
    if passphrase == demo.PASSPHRASE:
        click.echo(f"warning: the passphrase is the demo's ({demo.PASSPHRASE!r}), which anyone can read in the README: "
                   "set COOP_PASSPHRASE to your own for a real co-op", err=True)


@cli.command()
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
@pass_ctx
def verify(ctx: Context, quiet: bool) -> None:
    """Re-check every object, commit and statement signature from the repository alone."""
    node = open_node(ctx.overrides)  # not ctx.node: bringing the index up to date reads the objects being checked
    bar, step = progress(None, "verifying")
    with bar:
        report = audit.verify_repository(node.store, node.registry, step)
    if not report:
        for problem in report.problems:
            click.echo(f"BAD {problem}", err=True)
        unreplayed = "" if report.replayed else ("; history was not replayed over damaged objects: restore them "
                                                 "(from a backup or a peer's repository) and verify again")
        raise SystemExit(f"verification failed: {len(report.problems)} problems{unreplayed}")
    if not quiet:
        click.echo(f"ok: {report.commits} commits and {report.statements} statements verified")


@cli.group()
def index() -> None:
    """The query index (a cache of the repository)."""


@index.command("rebuild")
@pass_ctx
def index_rebuild(ctx: Context) -> None:
    """Drop the index and rebuild it from the repository."""
    node = open_node(ctx.overrides)
    head = node.store.head()
    total = len(list(node.store.repo.walk(head.id))) if head is not None else 0
    bar, step = progress(total, "indexing")
    with bar:
        count = node.index.rebuild(node.store, step)
    click.echo(f"index rebuilt from {count} commits")


@cli.command()
@click.argument("path")
@click.option("--rev", help="Revision (commit id, branch or HEAD~N); default the head.")
@pass_ctx
def show(ctx: Context, path: str, rev: str | None) -> None:
    """Print a file of the repository at a revision."""
    click.echo(ctx.node.store.read(path, rev).decode("utf-8", "replace"))


@cli.command()
@click.argument("path")
@pass_ctx
def log(ctx: Context, path: str) -> None:
    """Print the history of a path: the commits that changed it."""
    for revision in ctx.node.store.history(path):
        click.echo(f"{revision.commit[:12]}  {revision.message.splitlines()[0]}")


@cli.command()
@click.option("--listen", help="host:port (default from settings, 127.0.0.1:8000).")
@pass_ctx
def serve(ctx: Context, listen: str | None) -> None:
    """Serve the API and web pages with a production WSGI server (waitress)."""
    from waitress.server import create_server

    from api.app import create_app, start_webhooks, stop

    node = ctx.node
    if node.name:
        node.commit_signer()  # unlock the node key now, not at the first write
    else:
        click.echo("This node holds no node key: it serves reads and git fetches only (make one with `coop node key NAME`).",
                   err=True)
    address = listen or node.config["listen"]
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise BadInput(f"--listen takes HOST:PORT, e.g. 127.0.0.1:8000, not {address!r}")
    app = create_app(node)
    try:
        # waitress refuses bodies far beyond the app's own limit before reading them; the app
        # answers bodies just over its limit with a JSON 413 itself.
        server = create_server(app, host=host, port=int(port), threads=node.config["threads"], ident="coop",
                               max_request_body_size=WAITRESS_BODY_FACTOR * node.config["max_body"])
    except OSError as e:
        raise OSError(e.errno, f"cannot listen on {address}: {e.strerror or e} (choose another with --listen HOST:PORT)") from e
    start_webhooks(app)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))  # stop the webhook worker cleanly
    click.echo(f"Coop is serving {node.view().charter()['name']!r} at http://{address}/\n"
               f"  pages: http://{address}/ (members), /proposals, /projects, /books; the API is at /api/v1/\n"
               f"  next, in another terminal: {coop_command()} --home {node.home} member list", err=True)
    try:
        server.run()
    finally:
        stop(app)


@cli.command("chat-bridge")
@click.option("--homeserver", required=True, help="The Matrix homeserver's URL, e.g. https://matrix.example.org.")
@click.option("--room", required=True, help="The public room's alias or ID, e.g. '#coop:matrix.example.org'.")
@click.option("--app", "app_id", default="chat-bridge", show_default=True, help="The bridge's app id (its key is on this node).")
@click.option("--user", help="Log in as this Matrix user with COOP_MATRIX_PASSWORD (else COOP_MATRIX_TOKEN is the access token).")
@click.option("--links", help="Base URL of this node's API for links in replies (default: http:// + the listen address).")
@click.option("--register", is_flag=True, help="First register the bridge as an app owned by the --as member.")
@pass_ctx
def chat_bridge(ctx: Context, homeserver: str, room: str, app_id: str, user: str | None, links: str | None, register: bool) -> None:
    """Run the Matrix bridge: !join and the other commands in a room, announcements, until stopped."""
    node = ctx.node
    if register:
        bridge.register(node, app_id, node.identity(ctx.identity).handle)
    matrix = Matrix(homeserver, os.environ.get("COOP_MATRIX_TOKEN"), log=lambda line: click.echo(line, err=True))
    if user:
        password = os.environ.get("COOP_MATRIX_PASSWORD")
        if not password:
            raise BadInput("set COOP_MATRIX_PASSWORD to log in with --user")
        matrix.login(user, password)
    elif not matrix.token:
        raise BadInput("set COOP_MATRIX_TOKEN to the bridge's access token, or log in with --user and COOP_MATRIX_PASSWORD")
    node.commit_signer()  # unlock the node key now, not at the first !join
    running = bridge.Bridge(node, app_id, matrix, room, links or f"http://{node.config['listen']}").start()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    click.echo(f"chat bridge {app_id!r} is in {room} as {running.me}", err=True)
    running.run(threading.Event())


cli.add_command(ledger)
for command in (*members_commands, *keys_commands, *governance_commands, *projects_commands, *replication_commands, *node_commands):
    cli.add_command(command)


EXIT_REFUSED = 2  # the platform refused: a CoopError
EXIT_ENVIRONMENT = 3  # the machine refused (a missing folder, a busy port) or the stored data is damaged


def main() -> None:
    """Run the command line as the `coop` console script."""
    sys.exit(run())


def run(args: list[str] | None = None) -> int:
    """Run the command line and return its exit status, printing platform and environment errors as one line."""
    try:
        status = cli.main(args, prog_name="coop", standalone_mode=False)
    except click.exceptions.Abort:
        return 130
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except CoopError as e:
        click.echo(f"error: {e.message}", err=True)
        return EXIT_REFUSED
    except OSError as e:
        click.echo(f"error: {describe_os_error(e)}", err=True)
        return EXIT_ENVIRONMENT
    except pygit2.GitError as e:
        click.echo(f"error: the repository is damaged: {e} (`coop verify` lists what it finds)", err=True)
        return EXIT_ENVIRONMENT
    except peewee.DatabaseError as e:
        click.echo(f"error: the index database is damaged: {e} (it is a cache of the repository: delete index.sqlite, "
                   "or empty the database of `database_url`, and the next command rebuilds it)", err=True)
        return EXIT_ENVIRONMENT
    return status if isinstance(status, int) else 0


def describe_os_error(error: OSError) -> str:
    """Say in one line what the operating system refused, and on which file."""
    what = error.strerror or str(error)
    return f"{what}: {error.filename}" if error.filename else what


def coop_command() -> str:
    """Return how the person who started this command runs `coop`: the bare name when it is on their PATH."""
    invoked = sys.argv[0]
    on_path = shutil.which("coop")
    return "coop" if on_path and os.path.realpath(on_path) == os.path.realpath(invoked) else invoked
