"""Expected store outcomes that callers turn into user errors, and how to recognise the server's own."""

from pymongo.errors import DuplicateKeyError, OperationFailure


class StoreError(Exception):
    pass


class AlreadyExists(StoreError):
    pass


class NotFound(StoreError):
    pass


class RevisionConflict(StoreError):
    def __init__(self, current: int) -> None:
        super().__init__(f"current revision is {current}")
        self.current = current


def is_duplicate(exc: Exception) -> bool:
    """A unique-index violation: MongoDB says DuplicateKeyError (11000); FerretDB v1 reports one raised
    by an update (findAndModify) as a generic error naming the SQLite UNIQUE constraint."""
    if isinstance(exc, DuplicateKeyError):
        return True
    return isinstance(exc, OperationFailure) and (exc.code == 11000 or "UNIQUE constraint failed" in str(exc))
