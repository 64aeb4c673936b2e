"""The one exception hierarchy of the screening library.

    ScreeningError                 base; `status` is the HTTP status the API maps it to
    ├── InputError (400/422)       bad query or bad input file
    │   ├── EmptyNameError         an empty or whitespace-only name
    │   ├── LimitError             a value over a configured limit
    │   ├── InputFileError         a CSV/TSV/XLSX that can't be read (names file, row)
    │   └── ResumeError            --resume onto rows screened with another watchlist, threshold or matcher
    ├── WatchlistError (500)       the compiled artifact is missing or corrupt
    ├── SourceError (400)          a list or seed file that can't be parsed (names file, line/element/field)
    │   └── UnsafeXMLError         entity expansion / DTD / external references
    ├── UpdateError (502)          a list update failed; the previous list stays in force
    ├── AuthError (401)            a missing, unknown or revoked API key
    ├── ForbiddenError (403)       a valid key whose role may not do this
    ├── NotFoundError (404)        no such alert or key
    ├── ConflictError (409)        a decision the workflow's rules refuse (four-eyes), a key name taken
    └── StoreError (500)           the database can't be opened or migrated

The core raises these; only `cli/` and `api/` turn them into exit codes and HTTP responses.
"""

from __future__ import annotations


class ScreeningError(Exception):
    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(ScreeningError):
    status = 422


class EmptyNameError(InputError):
    pass


class LimitError(InputError):
    status = 422


class InputFileError(InputError):
    status = 400


class ResumeError(InputError):
    status = 409


class WatchlistError(ScreeningError):
    status = 500


class SourceError(ScreeningError):
    status = 400


class UnsafeXMLError(SourceError):
    pass


class UpdateError(ScreeningError):
    status = 502


class AuthError(ScreeningError):
    status = 401


class ForbiddenError(ScreeningError):
    status = 403


class NotFoundError(ScreeningError):
    status = 404


class ConflictError(ScreeningError):
    status = 409


class StoreError(ScreeningError):
    status = 500
