# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The first and the last command of every tox environment of ``make test-compat`` (tox.ini).

``prepare RESULTS_DIR``
    empty RESULTS_DIR and link the checkout to build/collections/ansible_collections/backupops/veeam
    (the collection root the tests put on ANSIBLE_COLLECTIONS_PATH and PYTHONPATH).
``summary ENV_NAME RESULTS_DIR SUITE...``
    read the JUnit files of each SUITE there (unit: unit.xml and integration: integration.xml, from
    pytest; sanity: sanity/*.xml, from ansible-test sanity --junit), print one line for the
    environment (ansible-core and Python versions, passed / failed / skipped per suite), write it to
    RESULTS_DIR/summary.txt, and fail when a suite failed, is missing or ran no test.

Run with the environment's own Python, so the versions it reports are the ones that were tested.
"""

from __future__ import absolute_import, division, print_function

import glob
import os
import platform
import shutil
import sys
from xml.etree import ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# where each suite's JUnit files are, below RESULTS_DIR
SUITES = {'unit': 'unit.xml', 'integration': 'integration.xml', 'sanity': os.path.join('sanity', '*.xml')}


def link_collection():
    link = os.path.join(REPO, 'build', 'collections', 'ansible_collections', 'backupops', 'veeam')
    if not os.path.islink(link) and not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)


def prepare(results):
    shutil.rmtree(results, ignore_errors=True)
    os.makedirs(results)
    link_collection()
    return 0


def counts(paths):
    """(tests, failed, skipped, seconds) of JUnit files (errors count as failed)."""
    tests = failed = skipped = 0
    seconds = 0.0
    for path in paths:
        root = ElementTree.parse(path).getroot()
        for suite in [root] if root.tag == 'testsuite' else root.findall('testsuite'):
            tests += int(suite.get('tests', 0))
            failed += int(suite.get('failures', 0)) + int(suite.get('errors', 0))
            skipped += int(suite.get('skipped', 0))
            seconds += float(suite.get('time', 0))
    return tests, failed, skipped, seconds


def summary(env_name, results, suites):
    try:
        from ansible.release import __version__ as core_version
    except ImportError:
        core_version = 'missing'
    parts = []
    ok = core_version != 'missing' and bool(suites)
    for suite in suites:
        paths = sorted(glob.glob(os.path.join(results, SUITES[suite])))
        if not paths:
            parts.append('%s: no results (it did not run)' % suite)
            ok = False
            continue
        tests, failed, skipped, seconds = counts(paths)
        passed = tests - failed - skipped
        text = '%s %d passed, %d failed' % (suite, passed, failed)
        if skipped:
            text += ', %d skipped' % skipped
        parts.append(text + (' (%.0f s)' % seconds if seconds else ''))  # ansible-test records no time
        if failed or not passed:
            ok = False
    line = '%s %s: ansible-core %s, Python %s: %s' % (
        'OK    ' if ok else 'FAILED', env_name, core_version, platform.python_version(), '; '.join(parts))
    with open(os.path.join(results, 'summary.txt'), 'w') as handle:
        handle.write(line + '\n')
    print(line)
    return 0 if ok else 1


def main(argv):
    if len(argv) == 2 and argv[0] == 'prepare':
        return prepare(argv[1])
    if len(argv) >= 4 and argv[0] == 'summary' and set(argv[3:]) <= set(SUITES):
        return summary(argv[1], argv[2], argv[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
