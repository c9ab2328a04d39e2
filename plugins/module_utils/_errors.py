# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exception hierarchy of the Veeam client. Internal to this collection, may change without notice."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class VeeamError(Exception):
    """Base of every error the client raises; ``_module`` turns it into ``fail_json``.

    ``status`` is the HTTP status when there was an answer; ``server_message`` is the text the
    server put in its error body; ``details`` are extra keys for the module result.
    """

    def __init__(self, message, status=None, server_message=None, details=None):
        super(VeeamError, self).__init__(message)
        self.message = message
        self.status = status
        self.server_message = server_message
        self.details = details or {}

    def result(self):
        """Keys added to the failed module result (never secrets)."""
        result = dict(self.details)
        if self.status is not None:
            result['status'] = self.status
        if self.server_message:
            result['server_message'] = self.server_message
        return result


class VeeamOptionError(VeeamError):
    """The module's options are wrong; raised before any request is sent."""


class VeeamConnectionError(VeeamError):
    """The server could not be reached (refused, reset, DNS, TLS) or did not answer in time."""


class VeeamAuthError(VeeamError):
    """Logon or token request refused, or the server rejected the credentials."""


class VeeamHTTPError(VeeamError):
    """The server answered with an error status."""


class VeeamNotFoundError(VeeamHTTPError):
    """A job, session or task the module asked for does not exist."""


class VeeamAmbiguousError(VeeamError):
    """A name matched more than one object where exactly one was needed."""


class VeeamTaskError(VeeamError):
    """An Enterprise Manager task or a VSPC async action ended unsuccessfully."""


class VeeamTimeoutError(VeeamError):
    """Waiting for a task, an action or a job run took longer than allowed."""


class VeeamProtocolError(VeeamError):
    """The server answered something that is not the API (HTML, empty body, unparsable XML/JSON)."""


class VeeamUnsupportedError(VeeamError):
    """The server's version (or the API revision in use) lacks what the module was asked to do."""


class VeeamCheckModeError(VeeamError):
    """A changing request was attempted in check mode (a bug in the module: the client refuses it)."""


def http_error(what, status, server_message=None):
    """The exception for an error answer: ``<what> failed: HTTP <status>[: <server message>]``."""
    message = '%s failed: HTTP %s' % (what, status)
    if server_message:
        message += ': %s' % server_message
    error = {404: VeeamNotFoundError, 401: VeeamAuthError}.get(status, VeeamHTTPError)
    return error(message, status=status, server_message=server_message)
