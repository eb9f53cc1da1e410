"""The review path's error, one level below the services so that their helpers can raise it."""


class ReviewError(ValueError):
    """An action that the review path does not allow; the message is shown to the user."""
