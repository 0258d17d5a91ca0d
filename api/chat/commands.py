"""The bridge's commands, parsed from a chat message: pure functions, no network, no repository.

    !join HANDLE [skills...]   ask to become a learner (one of the skills names your track): a link comes privately
    !claim                     a learner whose key the node holds gets a private link to move to a key of their own
    !help, !projects, !mentor, !proposals

The help is written for people who read English as a second language: short
sentences, common words, what happens next.
"""
from __future__ import annotations

from dataclasses import dataclass

from coop.errors import CoopError, MalformedCommand
from coop.ids import check_id, normalise_handle
from projects.learners import TRACKS

PREFIX = "!"
MAX_WORDS = 34
HELP = (
    "Commands:\n"
    "  !join HANDLE TRACK [skills...]  ask to join as a learner. TRACK is one of " + ", ".join(TRACKS) + ". "
    "I send you a private link. Open it on your own phone or computer to finish.\n"
    "  !projects   open client requests that fit your skills\n"
    "  !mentor     ask for a mentor (I tell the mentors)\n"
    "  !proposals  open proposals, with links\n"
    "  !claim      if you joined here before we used links: I send you a private link to make a key of your own\n"
    "  !help       this list"
)
CLAIM_CHANGED = ("!claim changed: now type only !claim, with nothing after it. I send you a link in a direct message. "
                 "Open it on your own phone or computer: it makes your key there.")
NAMES = ("join", "help", "projects", "mentor", "proposals", "claim")


@dataclass(frozen=True)
class Command:
    """A command as typed: its name and its arguments, already checked."""

    name: str
    handle: str | None = None
    track: str | None = None
    skills: tuple[str, ...] = ()


def parse(text: str) -> Command | None:
    """Return the command a message holds, None for ordinary chat, or raise MalformedCommand with a reply."""
    words = text.strip().split()
    if not words or not words[0].startswith(PREFIX) or len(words[0]) == 1:
        return None
    name = words[0][1:].lower()
    if name not in NAMES:
        raise MalformedCommand(f"I don't know {words[0]!r}. {HELP}")
    if len(words) > MAX_WORDS:
        raise MalformedCommand(f"that is too many words for one command. {HELP}")
    if name == "join":
        return _join(words[1:])
    if name == "claim" and len(words) > 1:
        raise MalformedCommand(CLAIM_CHANGED)  # the old !claim PUBLIC_KEY and !claim SIGNATURE
    if len(words) > 1:
        raise MalformedCommand(f"!{name} takes no arguments. {HELP}")
    return Command(name)


def _join(args: list[str]) -> Command:
    if not args:
        raise MalformedCommand("usage: !join HANDLE TRACK [skills...], e.g. !join ana web html css")
    try:
        handle = normalise_handle(args[0])
        check_id(handle, "handle")
    except CoopError as e:
        raise MalformedCommand(f"{e.message} (e.g. !join ana web html css)") from e
    try:
        skills = sorted({check_id(s.lower().strip(","), "skill") for s in args[1:]})
    except CoopError as e:
        raise MalformedCommand(f"{e.message}; skills are short tags such as python or web") from e
    tracks = [s for s in skills if s in TRACKS]
    if not tracks:
        raise MalformedCommand(f"name your track among the skills: one of {', '.join(TRACKS)} (e.g. !join {handle} web html)")
    return Command("join", handle=handle, track=tracks[0], skills=tuple(skills))
