"""Expected store outcomes that callers turn into user errors."""


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
