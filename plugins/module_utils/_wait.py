# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wait options of the modules that wait for a run (``veeam_job_action``, ``veeam_quick_backup``): their
argument spec (documented in the ``wait`` doc fragment) and ``WaitSettings``, the one checked value the waiting
code takes. Internal to this collection, may change without notice."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError

WAIT_OPTIONS = ('wait', 'wait_timeout', 'poll_interval', 'fail_on_warning', 'progress_interval')
WAIT_TIMEOUT = 3600
POLL_INTERVAL = 5
PROGRESS_INTERVAL = 60


def wait_argument_spec(wait_default):
    """The wait options; ``wait_default`` is the module's default of ``wait`` (INTERFACE.md: false for
    veeam_job_action, true for veeam_quick_backup)."""
    return dict(
        wait=dict(type='bool', default=wait_default),
        wait_timeout=dict(type='int', default=WAIT_TIMEOUT),
        poll_interval=dict(type='int', default=POLL_INTERVAL),
        fail_on_warning=dict(type='bool', default=False),
        progress_interval=dict(type='int', default=PROGRESS_INTERVAL),
    )


class WaitSettings:
    """How a module run waits for a run: ``wait``, ``wait_timeout`` (seconds), ``poll_interval`` (seconds between two
    looks), ``fail_on_warning``, ``progress_interval`` (seconds between two progress lines, which the action plugin
    prints). Checked when made: a number that is not positive raises VeeamOptionError naming the option."""

    __slots__ = WAIT_OPTIONS

    def __init__(self, wait=False, wait_timeout=WAIT_TIMEOUT, poll_interval=POLL_INTERVAL, fail_on_warning=False,
                 progress_interval=PROGRESS_INTERVAL):
        for option, value in (('wait_timeout', wait_timeout), ('poll_interval', poll_interval),
                              ('progress_interval', progress_interval)):
            if value <= 0:
                raise VeeamOptionError('%s: must be a positive number, got %s' % (option, value))
        self.wait = wait
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self.fail_on_warning = fail_on_warning
        self.progress_interval = progress_interval

    @classmethod
    def from_params(cls, params):
        """The settings of a module's parameters (which have every option of ``wait_argument_spec``)."""
        return cls(**dict((option, params[option]) for option in WAIT_OPTIONS))

    def __repr__(self):
        return 'WaitSettings(%s)' % ', '.join('%s=%r' % (option, getattr(self, option)) for option in WAIT_OPTIONS)
