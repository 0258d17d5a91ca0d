"""The use cases: the verbs every face (HTTP, pages, CLI, chat, SDK) calls, each written once.

Named `usecases` after what it holds, the things a person does with a co-op (open a
proposal, vote, close it, ask where it stands, pay a milestone), as opposed to the
faces that parse a request and render an answer, and the domain packages below
that hold the rules. A verb takes the node (or a view) and plain values and
returns a frozen dataclass; nothing here knows of Flask or click.
"""
