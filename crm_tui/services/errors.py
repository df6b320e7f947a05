"""Refusals the services give: a code the UI translates, the values that fill its sentence, and
an English sentence for logs, the CLI and tests. Never match on the English text."""


class ServiceError(ValueError):
    def __init__(self, code: str, message: str, **params: object):
        super().__init__(message)
        self.code = code
        self.params = params
