# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""veeam_restore_point_info and veeam_quick_backup end to end against the simulator's machines, on em, vspc and
vbr where each applies, with -vvv and no secret in any output."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote

import pytest

from ansible_run import run_module, run_playbook, secrets_seen, veeam_env

INFO = 'backupops.veeam.veeam_restore_point_info'
QUICK = 'backupops.veeam.veeam_quick_backup'
CHANGING = ('start', 'stop', 'retry', 'sync', 'toggle', 'patch', 'enable', 'disable', 'quick_backup')
RUNS = []


@pytest.fixture(params=['em', 'vspc', 'vbr'])
def api(request):
    return request.param


@pytest.fixture(params=['em', 'vbr'])
def backup_api(request):
    """The APIs with a quick backup."""
    return request.param


@pytest.fixture(autouse=True)
def no_secret_in_any_output(request):
    """Every module here runs with -vvv; afterwards no password, session id or token the simulator saw may appear
    in any output."""
    del RUNS[:]
    yield
    for simulator, password, output in RUNS:
        secrets = secrets_seen(simulator) | {password}
        for secret in secrets:
            assert secret not in output, 'a secret appears in the -vvv output'


def run(simulator, api, module, args, *extra):
    environment = veeam_env(simulator, api)
    done = run_module(module, args, environment, args=list(extra) + ['-vvv'])
    RUNS.append((simulator, environment['VEEAM_PASSWORD'], done.output))
    return done


def machines(simulator, api, names, **args):
    done = run(simulator, api, INFO, dict(args, name=names))
    assert done.rc == 0, done.output[-3000:]
    return done.last['machines']


def world(simulator):
    """{name: the simulator's record of that machine} (names are unique but for db01/DB01)."""
    return dict((machine['name'], machine) for machine in simulator.data()['machines'])


def set_machine(simulator, name, **settings):
    return simulator._call('POST', '/machines/%s' % quote(name, safe=''), settings)


def actions(simulator):
    counted = simulator.counters()['actions']
    return dict((name, counted.get(name, 0)) for name in CHANGING)


def nothing_changed(simulator):
    return not any(actions(simulator).values())


def short_job_runs(simulator, *job_names):
    """Runs of these jobs (the quick backups through them) last a second."""
    for job in simulator.data()['jobs']:
        if job['name'] in job_names:
            simulator.configure_job(job['id'], duration=1)


# -- veeam_restore_point_info ---------------------------------------------------------------------
@pytest.mark.compat
def test_the_worlds_machines_their_age_job_and_own_last_result(simulator, api):
    names = ['web01', 'legacy01', 'fs01', 'mail01', 'app01', 'newvm01']
    found = dict((machine['item'], machine) for machine in machines(simulator, api, names))
    known = world(simulator)
    for name in ('web01', 'legacy01', 'fs01', 'mail01', 'app01'):
        machine = found[name]
        assert (machine['name'], machine['kind'], machine['protected']) == (name, 'vm', True)
        assert machine['latest_restore_point_time'][:19] == known[name]['latest_restore_point'][:19]
        assert machine['backup_server_name'] == 'vbr-prod-01.corp.example'
        assert len(machine['restore_points']) == 1
        assert machine['restore_points'][0]['creation_time'] == machine['latest_restore_point_time']
    assert found['web01']['age'] < 86400 and found['web01']['job_name'] == 'Daily Backup'
    assert found['web01']['last_result'] == 'Success' and found['web01']['last_message'] is None
    assert found['legacy01']['age'] > 9 * 86400
    assert found['fs01']['last_result'] == 'Failed' and found['fs01']['last_message']
    assert 86400 < found['fs01']['age'] < 3 * 86400
    assert found['mail01']['last_result'] == 'Warning' and found['mail01']['last_message']
    assert found['app01']['job_name'] == u'Sauvegarde Comptabilit\u00e9 \u2013 M\u00fcller'
    assert found['newvm01'] == dict(found['newvm01'], name=None, protected=False, restore_points=[], age=None,
                                    latest_restore_point_time=None)
    assert nothing_changed(simulator)


def test_computers_are_machines_too(simulator, api):
    [machine] = machines(simulator, api, ['LNX-DB01.corp.example'])
    assert (machine['name'], machine['kind']) == ('lnx-db01.corp.example', 'computer')
    assert machine['last_result'] == 'Failed' and machine['last_message']
    assert machine['job_name'] == 'Linux DB Servers'


def test_names_as_inventories_write_them(simulator, api):
    found = machines(simulator, api, ['WEB01.corp.example', 'dc01.CORP.example', 'Print Server 2', 'dc01', 'web01.'])
    assert [machine['name'] for machine in found] == ['web01', 'dc01.corp.example', 'Print Server 2', None, None]
    assert [machine['item'] for machine in found] == ['WEB01.corp.example', 'dc01.CORP.example', 'Print Server 2',
                                                      'dc01', 'web01.']


def test_a_name_on_two_servers_fails_listing_both_unless_backup_server_chooses(simulator, api):
    done = run(simulator, api, INFO, {'name': ['web01', 'db01']})
    if api == 'vbr':  # the VBR REST API of vbr-prod-01 sees its own db01 only
        assert done.rc == 0 and done.last['machines'][1]['backup_server_name'] == 'vbr-prod-01.corp.example'
        return
    assert done.rc != 0
    message = done.last['msg']
    assert message.startswith("'db01' matches 2 machines: ")
    assert 'db01 (vm' in message and 'DB01 (vm' in message and 'vbr-dr-01.corp.example' in message
    [machine] = machines(simulator, api, ['db01'], backup_server='vbr-dr-01.corp.example')
    assert machine['name'] == 'DB01' and machine['backup_server_name'] == 'vbr-dr-01.corp.example'


def test_since_and_limit(simulator, api):
    stale, recent = machines(simulator, api, ['legacy01', 'web01'], since='7d', limit=3)
    assert stale['protected'] is False and stale['restore_points'] == [] and stale['latest_restore_point_time']
    assert recent['protected'] is True and len(recent['restore_points']) == 3
    times = [point['creation_time'] for point in recent['restore_points']]
    assert times == sorted(times, reverse=True) and len(set(times)) == 3


@pytest.mark.parametrize('scaled_api', ['em', 'vspc', 'vbr'])
def test_a_few_requests_per_name_at_scale_5000(scaled_simulator, scaled_api):
    simulator = scaled_simulator(5000)
    simulator.reset()
    [machine] = machines(simulator, scaled_api, ['scale-vm-04242'])
    one = simulator.counters()['requests_total']
    assert machine['name'] == 'scale-vm-04242' and machine['protected'] is True
    simulator.reset()
    found = machines(simulator, scaled_api, ['scale-vm-00001', 'scale-vm-02500', 'scale-host-00042', 'no-such-vm'])
    four = simulator.counters()['requests_total']
    assert [machine['name'] for machine in found] == ['scale-vm-00001', 'scale-vm-02500', 'scale-host-00042', None]
    # logon/token, backup server list and logoff/logout aside: a handful of requests a name, not a scan
    assert one <= 8, one
    assert (four - one) / 3.0 <= 5, (one, four)
    assert simulator.counters()['vbr']['schema_violations'] == 0


# -- veeam_quick_backup -----------------------------------------------------------------------------
@pytest.mark.compat
def test_a_stale_machine_gets_exactly_one_quick_backup_of_itself(simulator, backup_api):
    short_job_runs(simulator, 'Legacy Archive Backup')
    before = world(simulator)
    done = run(simulator, backup_api, QUICK, {'name': 'LEGACY01.corp.example', 'poll_interval': 1})
    assert done.rc == 0, done.output[-3000:]
    result = done.last
    assert result['changed'] is True
    assert result['session']['result'] == 'Success' and result['session']['job_name'] == 'Legacy Archive Backup'
    machine = result['machine']
    assert machine['name'] == 'legacy01' and machine['age'] < 120
    assert machine['latest_restore_point_time'] > before['legacy01']['latest_restore_point'][:19]
    if backup_api == 'em':
        assert result['task']['operation'] == 'QuickBackup' and result['task']['success'] is True
    assert actions(simulator) == dict(actions(simulator), quick_backup=1, start=0, sync=0)
    after = world(simulator)
    assert after['legacy01']['restore_points'] == before['legacy01']['restore_points'] + 1
    for name, record in after.items():
        if name != 'legacy01':
            assert record['restore_points'] == before[name]['restore_points'], name


def test_a_failing_quick_backup_fails_with_the_machines_own_message(simulator, backup_api):
    short_job_runs(simulator, 'Legacy Archive Backup')
    set_machine(simulator, 'legacy01', outcome='Failed', failure_message='VSS writer timed out (simulated)')
    done = run(simulator, backup_api, QUICK, {'name': 'legacy01', 'poll_interval': 1})
    assert done.rc != 0
    result = done.last
    assert result['msg'] == ("quick backup of 'legacy01' through job 'Legacy Archive Backup' ended Failed: "
                             "VSS writer timed out (simulated)")
    assert result['changed'] is True and result['session']['result'] == 'Failed'
    assert result['machine']['last_result'] == 'Failed'
    assert actions(simulator)['quick_backup'] == 1


@pytest.mark.parametrize('name, words', [
    ('newvm01', ["'newvm01'", 'existing backup chain']),
    ('ghost01.corp.example', ["no machine named 'ghost01.corp.example' has backups"]),
])
def test_a_machine_without_backups_fails_before_anything_is_started(simulator, api, name, words):
    done = run(simulator, api, QUICK, {'name': name})
    assert done.rc != 0
    assert done.last['msg'].startswith('nothing was started: ')
    for word in words:
        assert word in done.last['msg']
    assert nothing_changed(simulator)


def test_vspc_has_no_quick_backup_and_starts_nothing(simulator):
    done = run(simulator, 'vspc', QUICK, {'name': 'legacy01'})
    assert done.rc != 0
    message = done.last['msg']
    assert message.startswith('nothing was started: the Service Provider Console has no per-machine backup')
    assert "start its job 'Legacy Archive Backup' with backupops.veeam.veeam_job_action" in message
    assert done.last['machine']['name'] == 'legacy01'
    assert nothing_changed(simulator)


def test_enterprise_manager_has_no_quick_backup_for_computers(simulator):
    done = run(simulator, 'em', QUICK, {'name': 'lnx-db01.corp.example'})
    assert done.rc != 0
    message = done.last['msg']
    assert 'Enterprise Manager has no quick backup for Veeam Agent computers' in message
    assert "its job 'Linux DB Servers'" in message and 'agent: true' in message
    assert nothing_changed(simulator)


def test_an_ambiguous_name_starts_nothing(simulator):
    done = run(simulator, 'em', QUICK, {'name': 'DB01'})
    assert done.rc != 0 and "'DB01' matches 2 machines" in done.last['msg']
    assert nothing_changed(simulator)


def test_check_mode_finds_the_machine_and_starts_nothing(simulator, backup_api):
    done = run(simulator, backup_api, QUICK, {'name': 'legacy01'}, '--check')
    assert done.rc == 0, done.output[-3000:]
    assert done.last['changed'] is True and done.last['session'] is None
    assert done.last['msg'] == "'legacy01' would be backed up now (quick backup through job 'Legacy Archive Backup')"
    assert nothing_changed(simulator)


@pytest.mark.parametrize('name', ['sql01', 'lnx-web01.corp.example'])
def test_vbr_13_1_backs_up_hyperv_vms_and_computers_alone(simulator, name):
    short_job_runs(simulator, 'SQL Server; Nightly, Full', 'Linux Web Servers')
    before = world(simulator)[name]
    done = run(simulator, 'vbr', QUICK, {'name': name, 'poll_interval': 1})
    assert done.rc == 0, done.output[-3000:]
    assert done.last['session']['result'] == 'Success'
    assert world(simulator)[name]['restore_points'] == before['restore_points'] + 1
    assert actions(simulator) == dict(actions(simulator), quick_backup=1, start=0)


@pytest.fixture(scope='module')
def vbr_12_3(make_simulator):
    return make_simulator('--vbr-version', '12.3')


@pytest.fixture(scope='module')
def vbr_13_0(make_simulator):
    return make_simulator('--vbr-version', '13.0.1')


def test_vbr_12_3_backs_up_vsphere_vms_and_finds_the_others_by_their_restore_points(vbr_12_3):
    simulator = vbr_12_3
    simulator.reset()
    short_job_runs(simulator, 'Legacy Archive Backup')
    done = run(simulator, 'vbr', QUICK, {'name': 'legacy01', 'poll_interval': 1})
    assert done.rc == 0, done.output[-3000:]
    assert done.last['session']['result'] == 'Success'
    # 1.2-rev1 has backup object models for VMware VMs only; the others are known by their restore points
    found = machines(simulator, 'vbr', ['sql01', 'lnx-web01.corp.example', 'web01'])
    assert [(machine['name'], machine['kind']) for machine in found] == [
        ('sql01', 'vm'), ('lnx-web01.corp.example', 'computer'), ('web01', 'vm')]
    assert all(machine['protected'] for machine in found)
    assert found[2]['platform'].lower() == 'vmware'
    assert simulator.counters()['vbr']['schema_violations'] == 0


@pytest.mark.parametrize('version, revision', [('12.3', '1.2-rev1 (VBR 12.3)'), ('13.0.1', '1.3-rev1 (VBR 13.0.1)')])
@pytest.mark.parametrize('name, endpoint', [('lnx-web01.corp.example', 'agent'), ('sql01', 'hyperV')])
def test_vbr_before_13_1_refuses_a_computer_or_hyperv_quick_backup_naming_the_revision(
        vbr_12_3, vbr_13_0, version, revision, name, endpoint):
    simulator = vbr_12_3 if version == '12.3' else vbr_13_0
    simulator.reset()
    done = run(simulator, 'vbr', QUICK, {'name': name})
    assert done.rc != 0
    message = done.last['msg']
    assert message.startswith('nothing was started: Quick backup of a ')
    assert '(POST /api/v1/jobs/quickBackup/%s) is available from VBR REST API revision 1.3-rev2 (VBR 13.1) on' % endpoint \
        in message
    assert 'this server serves revision %s at most' % revision in message
    assert 'backupops.veeam.veeam_job_action' in message and done.last['machine']['name'] == name
    assert nothing_changed(simulator)
    assert simulator.counters()['vbr']['schema_violations'] == 0


@pytest.mark.compat
def test_a_waiting_quick_backup_prints_progress_lines_and_starts_once(simulator, backup_api, tmp_path):
    for job in simulator.data()['jobs']:
        if job['name'] == 'Legacy Archive Backup':
            simulator.configure_job(job['id'], duration=7)
    environment = veeam_env(simulator, backup_api)
    done = run_playbook(tmp_path, [{'name': 'Back it up now', QUICK: {
        'name': 'legacy01', 'poll_interval': 1, 'progress_interval': 2}, 'register': 'quick'}], environment,
        args=['-vvv'])
    RUNS.append((simulator, environment['VEEAM_PASSWORD'], done.output))
    assert done.rc == 0, done.output[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("[localhost] quick backup of 'legacy01': ")]
    assert len(lines) >= 2, done.stdout[-3000:]
    assert any(' elapsed' in line and 'Working' in line for line in lines), lines
    result = done.last
    assert result['session']['result'] == 'Success' and result['changed'] is True
    assert not set(result) & {'job', 'quick', 'pending', '_veeam_progress'}
    assert actions(simulator) == dict(actions(simulator), quick_backup=1, start=0)


@pytest.mark.parametrize('injection', ['x" , VmDisplayName=="web01', 'web01";VmDisplayName=="x',
                                       'x") , (ComputerName=="lnx-web01.corp.example'])
def test_a_name_cannot_change_the_server_side_filter(simulator, api, injection):
    [machine] = machines(simulator, api, [injection])
    assert machine['name'] is None and machine['protected'] is False
