"""The storage package's error, in a module of its own so that every storage module can raise it."""


class StorageError(Exception):
    """The database cannot be opened, read or written; the message is one line naming the file."""
