"""One module a file kind: text in, a plain parsed record out (or ParseError)."""


class ParseError(Exception):
    """The file cannot be understood; the scan turns it into a note finding."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
