# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VSPC client's own request: the base's signature, every argument passed on."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from scripted import Answer

from ansible_collections.backupops.veeam.plugins.module_utils._vspc import VSPCClient


class Recorder:
    """A transport that answers 200 with an envelope and keeps what each request was sent with."""

    def __init__(self):
        self.sent = []

    def send(self, method, path, **kwargs):
        self.sent.append(dict(kwargs, method=method, path=path))
        return Answer(200, {'data': {'ok': True}, 'meta': {}, 'errors': []})


def test_request_passes_data_and_headers_on():
    transport = Recorder()
    client = VSPCClient(transport, api_key='key')
    envelope = client.request('POST', '/somewhere', data=b'raw', headers={'Content-Type': 'text/plain'},
                              idempotent=False)
    assert envelope['data'] == {'ok': True}
    [sent] = transport.sent
    assert sent['data'] == b'raw' and sent['json_body'] is None and sent['idempotent'] is False
    assert sent['headers']['Content-Type'] == 'text/plain'
    assert sent['headers']['Authorization'] == 'Bearer key'
