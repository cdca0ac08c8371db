class DomainError(Exception):
    """A refused state change: a message for people and a stable code for machines and tests.

    Services raise it after re-checking state under their lock; views turn it into a
    message (or a JSON answer) and change nothing.
    """

    def __init__(self, message, code, **details):
        super().__init__(message)
        self.message = message
        self.code = code
        # What the caller may need to answer, e.g. the capture a scan was refused for.
        self.details = details

    def __str__(self):
        return str(self.message)
