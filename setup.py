"""Packaging for Coop: the kernel and its four areas, plus the `coop` console command."""
from setuptools import find_packages, setup

RUNTIME = [
    "flask>=3.0",
    "peewee>=3.17",
    "pygit2>=1.15",
    "pynacl>=1.5",
    "requests>=2.31",
    "markdown>=3.5",
    "rfc8785>=0.1.4",
    "nh3>=0.2",
    "confusables>=1.2",
    "tomli-w>=1.0",
    "waitress>=3.0",
    "tqdm>=4.66",
    "matplotlib>=3.8",
    # A member's recovery sheet: the recovery key as BIP39 words (the same English list is served to the browser),
    # and their QR code on the command line's printable sheet.
    "mnemonic>=0.21",
    "segno>=1.6",
]

POSTGRES = ["psycopg2-binary>=2.9"]

TEST = [
    *POSTGRES,
    "pytest>=8",
    "hypothesis>=6.100",
    "beancount>=3",
    "schemathesis>=4.32",
    # Drives Debian's chromium (never a browser of its own) for tests/browser.
    "playwright>=1.50",
    # The checks `make test` runs first (configured in pyproject.toml), with the stubs of the libraries that ship none.
    "ruff>=0.17,<0.18",  # pinned to a minor: a new release brings new findings
    "mypy>=2.4,<2.5",
    "types-requests",
    "types-Markdown",
    "types-tqdm",
    "types-waitress",
]

setup(
    name="coop",
    version="0.1.0",
    description="A git-backed platform for freelance collectives: signed statements, votes and a transparent ledger.",
    # Discovery, so a new subpackage (api.chat was missed once) is never left out of a wheel.
    packages=find_packages(include=["coop*", "ledger*", "governance*", "projects*", "api*"]),
    # The browser's JavaScript modules and stylesheet, served at /static/, and the pages' Jinja templates (api/app.py).
    package_data={"api": ["static/**/*", "templates/*.html"]},
    python_requires=">=3.11",
    install_requires=RUNTIME,
    extras_require={"test": TEST, "postgres": POSTGRES},
    entry_points={"console_scripts": ["coop = api.cli.main:main"]},
)
