# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


@pytest.fixture
def em_capture():
    """The text of a real EM JSON answer to query?type=BackupJobSession&format=Entities."""
    with open(os.path.join(FIXTURES, 'em-query-backupjobsessions.json')) as handle:
        return handle.read()
