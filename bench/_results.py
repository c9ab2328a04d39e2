# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every benchmark shares: where the test helpers are, the machine description, printing and
recording a result section in bench/RESULTS.md."""

from __future__ import absolute_import, division, print_function

import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# the benchmarks drive real `ansible` runs with the integration tests' helpers and simulator fixture
sys.path[:0] = [os.path.join(HERE, '..', 'tests'), os.path.join(HERE, '..', 'tests', 'integration')]


def machine():
    """``x86_64, Python 3.11.7, 2 cores``: the facts a figure depends on."""
    return '%s, Python %s, %d cores' % (platform.machine(), platform.python_version(), os.cpu_count())


def report(text, write):
    """Print a result section; with ``write``, append it to bench/RESULTS.md too."""
    print(text)
    if write:
        with open(os.path.join(HERE, 'RESULTS.md'), 'a') as handle:
            handle.write('\n' + text)
