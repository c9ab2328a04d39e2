# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.backupops.veeam.plugins.module_utils._em_shapes import em_items, em_link, em_links
from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamProtocolError
from ansible_collections.backupops.veeam.plugins.module_utils._parse import (
    MAX_DEPTH,
    answering_api,
    ci_get,
    guid_of,
    parse_body,
    to_bool,
    to_text,
    utc_time,
)

QUERY_XML = u'''<?xml version="1.0" encoding="utf-8"?>
<QueryResult xmlns="http://www.veeam.com/ent/v1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Entities>
    <Jobs>
      <Job Href="https://em:9398/api/jobs/2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b?format=Entity" Type="Job"
           Name="Exchange &quot;Mail&quot; &amp; Co" UID="urn:veeam:Job:2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b">
        <Links>
          <Link Href="https://em:9398/api/backupServers/7f3d7e7a-1c55-4a57-b4a8-2f1b8c0e6d11" Name="vbr-01"
                Type="BackupServerReference" Rel="Up"/>
        </Links>
        <JobType>Backup</JobType>
        <Platform>VMware</Platform>
        <Description/>
        <ScheduleConfigured>true</ScheduleConfigured>
        <ScheduleEnabled>false</ScheduleEnabled>
        <NextRun xsi:nil="true"/>
      </Job>
    </Jobs>
  </Entities>
  <PagingInfo PageNum="1" PageSize="500" PagesCount="2">
    <Links>
      <Link Rel="First" Href="https://em:9398/api/query?type=Job&amp;pageSize=500&amp;page=1"/>
      <Link Rel="Next" Href="https://em:9398/api/query?type=Job&amp;pageSize=500&amp;page=2"/>
    </Links>
  </PagingInfo>
</QueryResult>'''


def test_xml_single_element_becomes_one_item_with_attributes_and_nil():
    root, body = parse_body('application/xml; charset=utf-8', QUERY_XML)
    assert root == 'QueryResult'
    jobs = em_items(ci_get(body, 'Entities'), 'Jobs', 'Job')
    assert len(jobs) == 1
    job = jobs[0]
    assert job['Name'] == 'Exchange "Mail" & Co'
    # xsi:nil and empty elements are "no value" to every reader
    assert utc_time(job['NextRun']) is None and to_text(job['NextRun']) is None and to_bool(job['NextRun']) is None
    assert job['Description'] is None
    assert [link['Rel'] for link in em_links(job)] == ['Up']


def test_xml_paging_links_are_unescaped():
    dummy, body = parse_body('application/xml', QUERY_XML)
    link = em_link(ci_get(body, 'PagingInfo'), 'Next')
    assert link['Href'] == 'https://em:9398/api/query?type=Job&pageSize=500&page=2'


def test_xml_repeated_elements_become_a_list():
    xml = (u'<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><Entities><Jobs>'
           u'<Job Name="a" UID="urn:veeam:Job:1"/><Job Name="b" UID="urn:veeam:Job:2"/>'
           u'</Jobs></Entities></QueryResult>')
    dummy, body = parse_body('application/xml', xml)
    assert [job['Name'] for job in em_items(ci_get(body, 'Entities'), 'Jobs', 'Job')] == ['a', 'b']


def test_json_doubly_nested_list_and_other_null_buckets(em_capture):
    dummy, body = parse_body('application/json', em_capture)
    entities = ci_get(body, 'entities')  # EM key casing is not to be relied on
    assert em_items(entities, 'Jobs', 'Job') == []
    sessions = em_items(entities, 'BackupJobSessions', 'BackupJobSession')
    assert len(sessions) == 24
    assert sessions[0]['JobName'] == 'PROD Job 1'


@pytest.mark.parametrize('content_type, text, words', [
    ('text/html', '<html><body>Proxy error</body></html>', ['text/html', 'Proxy error']),
    ('application/json', '{"broken"', ['JSON']),
    ('application/xml', '<a><b></a>', ['XML']),
    (None, 'hello', ['unknown content type']),
])
def test_answers_that_are_not_the_api_raise_protocol_errors(content_type, text, words):
    with pytest.raises(VeeamProtocolError) as caught:
        parse_body(content_type, text)
    for word in words:
        assert word in caught.value.message


@pytest.mark.parametrize('attributes', ['', ' Rel="Up" Href="x"'])
def test_xml_is_read_to_the_deepest_level_allowed_and_refused_one_deeper(attributes):
    def nested(depth):
        return '<a%s>' % attributes * depth + 'x' + '</a>' * depth
    root, content = parse_body('application/xml', nested(MAX_DEPTH))
    assert root == 'a' and content['a']['a']
    with pytest.raises(VeeamProtocolError) as caught:
        parse_body('application/xml', nested(MAX_DEPTH + 1))
    assert 'nested deeper than %d levels' % MAX_DEPTH in caught.value.message


def test_empty_body_is_none():
    assert parse_body('application/xml', '') == (None, None)


@pytest.mark.parametrize('value, expected', [
    ('2025-02-19T03:33:17.233Z', '2025-02-19T03:33:17Z'),
    ('2016-11-01T10:35:28.0000000-07:00', '2016-11-01T17:35:28Z'),
    ('2026-11-22T10:15:00+01:00', '2026-11-22T09:15:00Z'),
    ('2026-11-22T10:15:00', '2026-11-22T10:15:00Z'),
    ('2026-11-22 10:15', '2026-11-22T10:15:00Z'),
    ('2026-11-22T10:15:00Z', '2026-11-22T10:15:00Z'),
    ('2026-11-22T10:15:00.9999999Z', '2026-11-22T10:15:00Z'),
    ('2026-11-22T10:15:00.5z', '2026-11-22T10:15:00Z'),
    ('', None),
    (None, None),
    ('yesterday', None),
])
def test_times_become_utc_iso(value, expected):
    assert utc_time(value) == expected


@pytest.mark.parametrize('value, expected', [
    ('urn:veeam:Job:2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b', '2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b'),
    ('https://em:9398/api/backupServers/7f3d7e7a-1c55-4a57-b4a8-2f1b8c0e6d11?format=Entity',
     '7f3d7e7a-1c55-4a57-b4a8-2f1b8c0e6d11'),
    ('no id here', None),
    (None, None),
])
def test_guid_of(value, expected):
    assert guid_of(value) == expected


@pytest.mark.parametrize('value, expected', [('true', True), ('False', False), (True, True), (None, None), ('x', None)])
def test_to_bool(value, expected):
    assert to_bool(value) is expected


@pytest.mark.parametrize('content_type, text, api', [
    ('application/xml; charset=utf-8', '<?xml version="1.0" encoding="utf-8"?><Error xmlns="http://www.veeam.com/ent/v1.0" '
     'Message="Authentication required" StatusCode="401" Status="Unauthorized" />', 'em'),
    ('application/json', '{"Message": "Access denied", "StatusCode": 401}', 'em'),
    ('application/json', '{"errorCode": "NotImplemented", "message": "Unsupported RESTAPI version."}', 'vbr'),
    ('application/json', '{"errorCode": "Unauthorized", "message": "bad", "resourceId": null}', 'vbr'),
    ('application/json', '{"errors": [{"message": "Resource not found", "type": "logical", "code": 404}]}', 'vspc'),
    ('application/json', '{"meta": {"errors": []}, "data": null}', 'vspc'),
    ('application/json', '{"error": "invalid_grant", "error_description": "bad password"}', None),
    ('application/xml', '<Error Message="no namespace"/>', None),
    ('application/json', '[1, 2]', None),
    ('application/json', '', None),
])
def test_the_api_that_wrote_an_answer_is_told_by_its_envelope(content_type, text, api):
    assert answering_api(*parse_body(content_type, text)) == api
