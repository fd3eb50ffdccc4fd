"""User-facing errors: the CLI prints them as one line and exits with status 2."""


class UserError(Exception):
    """A mistake in the user's input (flag, file, name); printed without a traceback."""


class PluginConflict(UserError):
    """Two plugins registered the same name."""
