"""The errors a command raises for the user's mistakes: main() prints them as one line (or
{"error": ...} with --json) and exits 2, never with a traceback."""


class UsageError(Exception):
    """A problem with what the user asked for, printed without a traceback."""


class ParseError(UsageError):
    """The command line itself is wrong (argparse's complaint, naming the option)."""


# What main() prints as one line. OSError covers files and the board's link (_board.LinkFailed).
USER_ERRORS = (UsageError, OSError, ValueError, TypeError)
