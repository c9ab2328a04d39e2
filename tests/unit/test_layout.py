# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The size rules of docs/dev/ARCHITECTURE.md: no file in plugins/ over 500 lines, no class over 350."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'plugins')
MAX_FILE_LINES = 500
MAX_CLASS_LINES = 350


def plugin_files():
    for folder, dummy, names in os.walk(PLUGINS):
        for name in sorted(names):
            if name.endswith('.py'):
                yield os.path.join(folder, name)


def test_no_plugin_file_is_over_500_lines():
    too_long = []
    for path in plugin_files():
        with open(path) as handle:
            lines = len(handle.read().splitlines())
        if lines > MAX_FILE_LINES:
            too_long.append('%s: %d lines' % (os.path.relpath(path, PLUGINS), lines))
    assert not too_long


def test_no_plugin_class_is_over_350_lines():
    too_long = []
    for path in plugin_files():
        with open(path) as handle:
            tree = ast.parse(handle.read())
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_CLASS_LINES:
                too_long.append('%s: class %s, %d lines' % (os.path.relpath(path, PLUGINS), node.name, lines))
    assert not too_long
