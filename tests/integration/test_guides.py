# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbooks of the guides in docs/guides, run VERBATIM against the simulator on every API.

Each guide's ```yaml blocks that are playbooks (a list of plays, each with ``hosts``) are written to a file as they
stand in the markdown and run with ``ansible-playbook``, the connection coming from the ``VEEAM_*`` environment
variables, as the guide tells its reader to run them. A guide is added to GUIDES with a check of what its reader is
told to expect.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
import yaml

from ansible_run import BIN, REPO, _run, assert_logged_off, veeam_env

GUIDES_DIR = os.path.join(REPO, 'docs', 'guides')


def playbooks(guide):
    """The playbooks of a guide, as the text of each ```yaml block that is a list of plays."""
    with open(os.path.join(GUIDES_DIR, guide), encoding='utf-8') as handle:
        text = handle.read()
    found = []
    for block in re.findall(r'```yaml\n(.*?)```', text, re.S):
        parsed = yaml.safe_load(block)
        if isinstance(parsed, list) and parsed and all(isinstance(play, dict) and 'hosts' in play for play in parsed):
            found.append(block)
    return found


def check_morning_report(run, simulator, api):
    """One table: a header, one line per machine that failed or warned (File Server Backup's fs01 failed on its
    latest run on every API), and the count."""
    lines = run.task('Show the report')['msg']
    assert lines[0].split() == ['RESULT', 'JOB', 'STARTED', '(UTC)', 'MACHINE', 'REASON'], lines
    fs01 = [line for line in lines if ' fs01 ' in line]
    assert fs01 and fs01[0].startswith('Failed   File Server Backup') and 'Error: ' in fs01[0], lines
    assert all(line.split()[0] in ('Failed', 'Warning') for line in lines[1:-2]), lines
    assert re.match(r'^\d+ runs failed or warned in the last 24 hours \(%s\)$' % api, lines[-2]), lines
    assert int(lines[-2].split()[0]) >= 3
    assert_logged_off(simulator)


# (guide, number of playbooks in it, check(run, simulator, api))
GUIDES = [
    ('morning-report.md', 1, check_morning_report),
]


@pytest.mark.parametrize('guide, count, check', GUIDES, ids=[guide for guide, dummy, dummy in GUIDES])
def test_guide_playbooks_run_verbatim(simulator, api, tmp_path, guide, count, check):
    found = playbooks(guide)
    assert len(found) == count, 'expected %d playbook(s) in %s' % (count, guide)
    for number, text in enumerate(found):
        path = tmp_path / ('%s-%d.yml' % (guide[:-3], number))
        path.write_text(text, encoding='utf-8')
        run = _run([os.path.join(BIN, 'ansible-playbook'), str(path)], veeam_env(simulator, api), timeout=300)
        assert run.rc == 0, run.output[-3000:]
        assert 'Traceback' not in run.output
        check(run, simulator, api)
