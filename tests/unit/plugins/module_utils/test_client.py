# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base's thread pools: side_by_side and in_advance keep to their number of threads, and the exit waits."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

from ansible_collections.backupops.veeam.plugins.module_utils._client import ADVANCE_WORKERS, VeeamClient


class Transport:
    closed = False

    def close(self):
        self.closed = True


class Client(VeeamClient):
    """The base with nothing of an API: only what the pools need."""

    api, title = 'test', 'a test API'

    def log_on(self):
        pass

    def credential_headers(self):
        return {}

    def renew(self, sent):
        pass

    @staticmethod
    def error_message(body):
        return None

    find_jobs = find_agent_sessions = check_action = read_job = latest_session = read_session = act = None


class Meter:
    """A function that counts how many of its calls run at once."""

    def __init__(self):
        self.now = self.most = 0
        self.lock = threading.Lock()

    def __call__(self, value):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.02)
        with self.lock:
            self.now -= 1
        return value * 2


def test_side_by_side_keeps_the_order_and_its_number_of_threads():
    meter = Meter()
    assert Client(Transport()).side_by_side(meter, range(9), workers=3) == [value * 2 for value in range(9)]
    assert meter.most == 3


def test_in_advance_runs_on_a_pool_of_the_number_asked_for_and_the_exit_waits_for_it():
    client, meter = Client(Transport()), Meter()
    with client:
        two = [client.in_advance(meter, value, workers=2) for value in range(6)]
        default = [client.in_advance(Meter(), value) for value in range(2)]
        assert sorted(client._pools) == sorted([2, ADVANCE_WORKERS])
        assert [future.result() for future in two + default] == [0, 2, 4, 6, 8, 10, 0, 2]
        late = client.in_advance(time.sleep, 0.1)
        assert client._asked == [late]  # the futures already done are dropped
    assert meter.most == 2
    assert late.done() and client.transport.closed
