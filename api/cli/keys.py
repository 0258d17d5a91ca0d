"""`coop join` and `coop keys ...`: a member's own keys, made and kept on the machine the command runs on.

These commands act only with keys in this home's `keys/` directory (encrypted
under its passphrase). They reach the co-op through the node in this home when it
has one, else over HTTP: `--node URL`, or the node `coop join` remembered
(the `public_url` setting).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from api import recovery
from api.context import Context, new_passphrase, pass_ctx
from api.usecases import keys as usecases
from api.usecases import members
from coop import config
from coop.errors import BadInput, NotFound
from coop.ids import check_id, normalise_handle
from coop.keys import KeyPair, KeyStore, PublicKey, write_private
from coop.node import REPO_DIR, key_store

EXPORT_PASSPHRASE = "COOP_EXPORT_PASSPHRASE"
WORDS_PER_ROW = 6
NODE_OPTION = click.option("--node", "node_url", help="The co-op node's address (default: this home's node, or the one it joined).")


def home_has_node(ctx: Context) -> bool:
    """Tell whether this home holds a node (a repository), not only keys."""
    return (config.load(ctx.overrides).home / REPO_DIR).exists()


def home_keys(ctx: Context, new: bool = False) -> KeyStore:
    """Return this home's key store; for a first key, a new passphrase is asked twice at a terminal."""
    cfg = config.load(ctx.overrides)
    store = key_store(cfg)
    if new and not store.identities():
        store = key_store(cfg, new_passphrase(what=f"the keys in {store.directory}"))
    return store


def reach(ctx: Context, node_url: str | None) -> usecases.Reach:
    """Return the co-op's node as this home reaches it: --node, else the node in this home, else the one it joined."""
    if node_url:
        return usecases.Remote(members.check_node_url(node_url))
    if home_has_node(ctx):
        return usecases.Local(ctx.node)
    joined = config.load(ctx.overrides)["public_url"]
    if joined:
        return usecases.Remote(members.check_node_url(joined))
    raise BadInput("this home holds no node and has joined none: say which node to reach with --node URL")


def remember(ctx: Context, node: usecases.Reach) -> None:
    """Keep in a home without a node of its own the address of the node it reached, so that `coop keys` reaches it next time."""
    home = config.load(ctx.overrides).home
    if isinstance(node, usecases.Remote) and not home_has_node(ctx):
        config.write_node_file(home, {**config.read_node_file(home), "public_url": node.client.url})


@click.command("join")
@click.argument("link")
@click.option("--label", default="computer", show_default=True, help="What your record calls this machine's key, e.g. laptop.")
@click.option("--sheet", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the printable recovery sheet (default: recovery-HANDLE.html in the home).")
@pass_ctx
def join(ctx: Context, link: str, label: str, sheet: Path | None) -> None:
    """Join a co-op with an invitation LINK: make your key on this machine and claim the invitation with it.

    It also makes your recovery key and shows it this once, as 24 words and a QR
    code, with a printable sheet: keep it on paper. This machine does not keep it.
    """
    node_url, handle, code = members.parse_join_link(link)
    store = home_keys(ctx, new=True)
    node = usecases.Remote(node_url)
    joined = usecases.join(node, store, handle, code, label)
    remember(ctx, node)
    if joined.move:
        click.echo(f"Done, {handle}: your own key {joined.device} ({label}) now signs for you. The key the node held is revoked "
                   "from this statement on, and the node deletes it.")
    else:
        click.echo(f"Welcome, {handle}: your key {joined.device} ({label}) is on this machine only, in {store.directory}.")
    show_sheet(handle, node.origin, node_url, joined.recovery, sheet or config.load(ctx.overrides).home / f"recovery-{handle}.html")


def show_sheet(handle: str, origin: str, node_url: str, spare: KeyPair, path: Path) -> None:
    """Show the recovery key once: its words, numbered, its QR code, and the printable sheet written to `path`."""
    words = recovery.words_of(spare)
    write_private(path, recovery.sheet_html(handle, origin, node_url, spare).encode("utf-8"))
    rows = ["   ".join(f"{i + 1:>2}. {word:<8}" for i, word in enumerate(words) if i // WORDS_PER_ROW == row)
            for row in range(len(words) // WORDS_PER_ROW)]
    click.echo("\nYour recovery sheet, shown only this once. Write the 24 words on paper, in order (or print the sheet), and keep\n"
               "it somewhere safe. It only manages your keys: with it, a new machine takes over from a lost one\n"
               f"(`coop keys recover {handle}`). It cannot vote, apply or move money.\n")
    click.echo("\n".join(f"  {row.rstrip()}" for row in rows) + "\n")
    click.echo(recovery.terminal_qr(words))
    click.echo(f"Printable sheet: {path} (only you can read it). Print it, then delete the file: this machine keeps no copy of\n"
               "the recovery key, and neither does the co-op.")


@click.group("keys")
def keys_group() -> None:
    """Your own keys on this machine: make, add, list, export, import, revoke, recover."""


@keys_group.command("new")
@click.argument("handle")
@click.option("--label", default="computer", show_default=True, help="What your record will call this key, e.g. laptop.")
@pass_ctx
def keys_new(ctx: Context, handle: str, label: str) -> None:
    """Make a key for HANDLE on this machine and print its public half, to add it to the record from another device."""
    handle = normalise_handle(handle)
    store = home_keys(ctx, new=True)
    pair = store.create(handle)
    public = pair.public.to_b64()
    click.echo(f"made key {pair.kid} of {handle} on this machine, in {store.directory}; its public half:\n\n  {public}\n\n"
               f"On a device that holds a key of {handle}, add it to the record:\n\n"
               f"  coop keys add {handle} {public} --label {label}\n\n"
               f"(for someone not yet a member, the founder registers it instead: coop member add {handle} --public-key {public})")


@keys_group.command("add")
@click.argument("handle")
@click.argument("public_key")
@click.option("--label", default="computer", show_default=True, help="What the record calls the new key, e.g. laptop.")
@NODE_OPTION
@pass_ctx
def keys_add(ctx: Context, handle: str, public_key: str, label: str, node_url: str | None) -> None:
    """Add another device's PUBLIC_KEY to HANDLE's record, signed by HANDLE's key on this machine."""
    handle = normalise_handle(handle)
    public = PublicKey.from_b64(public_key)
    receipt = usecases.add_key(reach(ctx, node_url), home_keys(ctx), handle, public, label)
    click.echo(f"added key {public.kid} ({label}) to {handle}'s record in commit {receipt.commit[:12]}: it signs for {handle} now")


@keys_group.command("list")
@click.argument("handle", required=False)
@NODE_OPTION
@pass_ctx
def keys_list(ctx: Context, handle: str | None, node_url: str | None) -> None:
    """List the keys of the members this machine holds a key of (or of HANDLE): labels, recovery, revoked, here or not."""
    store = home_keys(ctx)
    handles = [normalise_handle(handle)] if handle else store.identities()
    if not handles:
        click.echo(f"this machine holds no key (in {store.directory}): `coop join LINK` or `coop keys import FILE` brings one")
        return
    found = reach(ctx, node_url)
    click.echo(f"{'HANDLE':<16} {'KEY':<17} {'LABEL':<12} {'KIND':<9} {'STATE':<20} HERE")
    for name in handles:
        here = store.public(name).kid if store.has(name) else None
        record = found.record(name)
        listed = record.keys if record is not None else []
        for key in listed:
            state = "valid" if key.revoked_after is None else f"revoked after #{key.revoked_after}"
            click.echo(f"{name:<16} {key.kid:<17} {key.label or '-':<12} {'recovery' if key.recovery else 'device':<9} {state:<20} "
                       f"{'yes' if key.kid == here else '-'}")
        if here is not None and here not in {k.kid for k in listed}:
            click.echo(f"{name:<16} {here:<17} {'-':<12} {'-':<9} {'in no member record':<20} yes")


def export_passphrase(new: bool) -> str:
    """Return the passphrase of an exported key file: COOP_EXPORT_PASSPHRASE, else asked at a terminal (twice for a new one)."""
    passphrase = os.environ.get(EXPORT_PASSPHRASE)
    if passphrase is None and sys.stdin.isatty():
        passphrase = (new_passphrase(EXPORT_PASSPHRASE, "the exported file") if new else
                      click.prompt("Passphrase of the exported file", hide_input=True, default="", show_default=False))
    if not passphrase:
        raise BadInput(f"say the exported file's passphrase: set {EXPORT_PASSPHRASE}, or run the command at a terminal")
    return passphrase


@keys_group.command("export")
@click.argument("handle")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@pass_ctx
def keys_export(ctx: Context, handle: str, file: Path) -> None:
    """Write HANDLE's key on this machine to FILE, encrypted under a passphrase of its own, to carry it to another machine."""
    store = home_keys(ctx)
    handle = normalise_handle(handle)
    if not store.has(handle):
        raise NotFound(f"this machine holds no key of {handle!r} (in {store.directory})")
    write_private(file, store.export(handle, export_passphrase(new=True)))
    click.echo(f"wrote the key of {handle} to {file} (only you can read it); on the other machine: coop keys import {file.name}")


@keys_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def keys_import(ctx: Context, file: Path) -> None:
    """Keep on this machine the key in FILE (made by `coop keys export`), under this home's passphrase."""
    data = file.read_bytes()
    pair = home_keys(ctx, new=True).import_key(data, export_passphrase(new=False))
    click.echo(f"imported key {pair.kid} of {pair.handle}: it signs for {pair.handle} from this machine now; delete {file}")


@keys_group.command("revoke")
@click.argument("kid")
@NODE_OPTION
@pass_ctx
def keys_revoke(ctx: Context, kid: str, node_url: str | None) -> None:
    """Revoke key KID of yours (a lost or retired device), signed by your key on this machine: it signs nothing from then on."""
    revoked = usecases.revoke(reach(ctx, node_url), home_keys(ctx), check_kid(kid))
    click.echo(f"revoked key {revoked.kid} of {revoked.handle} in commit {revoked.receipt.commit[:12]}: what it signed before "
               "stays valid; it signs nothing from now on")


def check_kid(text: str) -> str:
    """Return a key id as `coop keys list` shows it (16 hex digits), or say what one looks like."""
    kid = text.strip().lower()
    if len(kid) != 16 or any(c not in "0123456789abcdef" for c in kid):
        raise BadInput(f"a key id is 16 hex digits, as `coop keys list` shows, not {text!r}")
    return kid


@keys_group.command("recover")
@click.argument("handle")
@click.option("--words", prompt="The 24 words of your recovery sheet", help="The words of the recovery sheet, in order.")
@click.option("--label", default="computer", show_default=True, help="What your record calls this machine's new key.")
@click.option("--revoke", "lost", multiple=True, help="A lost key to revoke (repeat); default: every other device key.")
@NODE_OPTION
@pass_ctx
def keys_recover(ctx: Context, handle: str, words: str, label: str, lost: tuple[str, ...], node_url: str | None) -> None:
    """On a new machine, take over from lost devices with your recovery sheet: a new key here, the lost ones revoked."""
    handle = check_id(normalise_handle(handle), "handle")
    recovery.key_of(handle, words)  # the words are checked before anything is asked or made
    node = reach(ctx, node_url)
    recovered = usecases.recover(node, home_keys(ctx, new=True), handle, words, label, [check_kid(k) for k in lost])
    remember(ctx, node)
    click.echo(f"recovered {handle}: the new key {recovered.device} ({label}) is on this machine and signs for you; revoked "
               f"{', '.join(recovered.revoked) or 'no key'} (in commit {recovered.receipt.commit[:12]}). Keep your sheet: "
               "it still works.")


COMMANDS = (join, keys_group)
