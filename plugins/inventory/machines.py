# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: machines
short_description: Machines that Veeam backs up, as inventory hosts grouped by how fresh their backups are
version_added: 1.0.0
description:
  - One inventory host per machine (VM or Veeam Agent computer) the Veeam server holds restore points of, as
    M(backupops.veeam.veeam_restore_point_info) finds them, through Veeam Backup Enterprise Manager (O(api=em)),
    Veeam Service Provider Console (O(api=vspc)) or a Veeam Backup & Replication server (O(api=vbr)).
  - The host is named by the machine's name as the server has it. A name that is on two backup servers becomes one
    host per server; the second (by backup server name) is named C(<name>@<backup server name>).
  - "Each host has the variable C(veeam_machine): the machine dictionary of
    M(backupops.veeam.veeam_restore_point_info) (C(name), C(kind), C(platform), C(backup_server_id),
    C(backup_server_name), C(restore_points) with the newest restore point only and its C(malware_status),
    C(latest_restore_point_time), C(age), C(job_id), C(job_name), C(last_result), C(last_message)) plus C(stale):
    true when the machine has no restore point younger than O(max_age)."
  - "Groups, always present (possibly empty): C(veeam_fresh) and C(veeam_stale) (by O(max_age)), C(veeam_failed) and
    C(veeam_warning) (the machine's own result in its latest backup run, not its job's), C(veeam_malware) (the newest
    restore point is V(Suspicious) or V(Infected)), and C(veeam_job_<job name>) for the job of the newest restore
    point, the job name made a valid group name (characters other than letters, digits and C(_) become C(_))."
  - "O(compose), O(groups) and O(keyed_groups) work on C(veeam_machine), for example
    C(keyed_groups: [{key: veeam_machine.platform, prefix: platform}])."
  - "Cost: every machine is read with a few paged listings, joined in memory, never a request per machine.
    O(api=em): C(query?type=VmRestorePoint) and C(AgentRestorePoint) newest first, then C(BackupTaskSession) and
    C(BackupJobSession) created since a day before the oldest newest point. O(api=vbr): C(/api/v1/backupObjects),
    C(/api/v1/backups), C(/api/v1/restorePoints) newest first until every machine has its newest point, and
    C(/api/v1/taskSessions) since a day before the oldest of them. O(api=vspc): the protected VMs and computers
    managed by backup servers, their latest restore points, the job objects of VM and agent jobs, the jobs and the
    backup servers."
  - "Malware status: O(api=vbr) the restore point's C(malwareStatus), O(api=vspc) its C(malwareState); Enterprise
    Manager does not report one (null)."
  - With O(cache) the machines are kept in the cache plugin for O(cache_timeout) seconds, and an inventory read
    within that time sends no request. The cache holds the machines only, never a password, token, API key or session
    id.
  - The plugin logs on and off (em), or takes and logs out its token (vbr), once per inventory run, with the same
    TLS, retry and redirect rules as the modules.
author:
  - backupops.veeam contributors (@backupops)
requirements:
  - requests
  - xmltodict (for O(api=em))
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: Tells Ansible that this file is an inventory source of this plugin.
    type: str
    required: true
    choices: [backupops.veeam.machines]
  api:
    description:
      - Which Veeam REST API to talk to, as for the modules (O(api=em) Enterprise Manager, O(api=vspc) Service
        Provider Console, O(api=vbr) the Veeam Backup & Replication server's own REST API).
    type: str
    choices: [em, vspc, vbr]
    default: em
    env:
      - name: VEEAM_API
  server:
    description:
      - Host name or address of the Veeam server, as V(host), V(host:port) or V(https://host[:port]).
    type: str
    required: true
    env:
      - name: VEEAM_SERVER
  port:
    description:
      - TCP port of the API. A port given in O(server) wins over this option.
      - Defaults to V(9398) for O(api=em), V(1280) for O(api=vspc) and V(9419) for O(api=vbr).
    type: int
    env:
      - name: VEEAM_PORT
  username:
    description:
      - User to log on as. Requires O(password). Reading is enough (a read-only account works).
    type: str
    env:
      - name: VEEAM_USERNAME
  password:
    description:
      - Password of O(username). Never written to the inventory, its cache or any output.
    type: str
    env:
      - name: VEEAM_PASSWORD
  api_key:
    description:
      - "Only for O(api=vspc). A VSPC API key or an access token, sent as C(Authorization: Bearer). Excludes
        O(username) and O(password). Never written to the inventory, its cache or any output."
    type: str
    aliases: [token]
    env:
      - name: VEEAM_API_KEY
  validate_certs:
    description:
      - Whether to check the server's TLS certificate. Set it to V(false) only for a lab server.
    type: bool
    default: true
    env:
      - name: VEEAM_VALIDATE_CERTS
  ca_path:
    description:
      - PEM file of the certificate authorities to trust for the server's certificate.
    type: path
    env:
      - name: VEEAM_CA_PATH
  timeout:
    description:
      - Seconds one HTTP request may take.
    type: int
    default: 30
    env:
      - name: VEEAM_TIMEOUT
  api_version:
    description:
      - Only for O(api=vbr). The REST API revision to send in C(x-api-version), such as V(1.3-rev1). Not set, the
        newest revision the collection supports that the server serves.
    type: str
    env:
      - name: VEEAM_API_VERSION
  kind:
    description:
      - Which machines become hosts. V(vm) virtual machines, V(computer) physical or cloud machines backed up by Veeam
        Agent, V(any) both.
    type: str
    choices: [vm, computer, any]
    default: any
  backup_server:
    description:
      - Only the machines backed up by this backup server (its name or id). On O(api=vbr) the server itself; any other
        value gives no host.
    type: str
  max_age:
    description:
      - A machine whose newest restore point is older than this is stale (group C(veeam_stale)).
      - A duration back from now (V(90m), V(24h), V(7d)) or an ISO 8601 time, as C(since) of the modules.
    type: str
    default: 24h
notes:
  - The inventory file name must end in C(.veeam.yml) or C(.veeam.yaml).
  - "C(last_result) of a machine whose backup is running: the result of its last ended run on em and vbr; vspc tells
    none while the run goes on (null). VBR 12.3 (revision C(1.2-rev1)) shows the runs of VMware jobs only, so the
    other machines' C(last_result) is null there; machines the revision has no backup object model for (12.3: all but
    VMware VMs, 13.0.1: Windows computers) are found from their restore points, all of which are then read."
  - Ansible has no way to mark an inventory option as secret; the plugin never writes O(password) or O(api_key) to
    the inventory, its cache, a warning or an error (a server's message that repeats one is masked).
  - "Combine it with other inventories to target hosts: C(ansible-playbook -i prod.veeam.yml -i hosts.ini patch.yml
    --limit 'veeam_stale:&webservers')."
seealso:
  - module: backupops.veeam.veeam_restore_point_info
  - plugin: ansible.builtin.constructed
    plugin_type: inventory
'''

EXAMPLES = r'''
# prod.veeam.yml: every machine of an Enterprise Manager, stale after 24 hours
plugin: backupops.veeam.machines
api: em
server: em01.corp.example
username: CORP\inventory-reader
# the password from the VEEAM_PASSWORD environment variable

---
# vbr.veeam.yml: the VMs of one VBR server, stale after 2 days, grouped by platform, cached for an hour
plugin: backupops.veeam.machines
api: vbr
server: vbr01.corp.example
kind: vm
max_age: 2d
keyed_groups:
  - key: veeam_machine.platform
    prefix: platform
compose:
  backup_age_hours: (veeam_machine.age | default(0, true)) // 3600
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/veeam-inventory
cache_timeout: 3600
'''

from ansible.errors import AnsibleParserError
from ansible.inventory.group import to_safe_group_name
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamError, VeeamOptionError

display = Display()

CONNECTION_OPTIONS = ('api', 'server', 'port', 'username', 'password', 'api_key', 'validate_certs', 'ca_path',
                      'timeout', 'api_version')
ALWAYS = ('veeam_fresh', 'veeam_stale', 'veeam_failed', 'veeam_warning', 'veeam_malware')
MALWARE = ('Suspicious', 'Infected')


def host_names(machines):
    """``[(host name, machine)]``: the machine's own name; a name already taken (the same machine name on another
    backup server, compared without regard to case) gets ``@<backup server name>``."""
    ordered = sorted(machines, key=lambda machine: ((machine['name'] or '').lower(), machine['backup_server_name'] or '',
                                                    machine['kind'] or ''))
    taken, named = set(), []
    for machine in ordered:
        server = machine['backup_server_name'] or machine['backup_server_id'] or 'unknown'
        for name in (machine['name'], '%s@%s' % (machine['name'], server),
                     '%s@%s/%s' % (machine['name'], server, machine['kind'])):
            if name.lower() not in taken:
                break
        taken.add(name.lower())
        named.append((name, machine))
    return named


def machine_groups(machine):
    """The groups of the contract a machine is in (its ``veeam_job_<job name>`` group sanitised)."""
    groups = ['veeam_stale' if machine['stale'] else 'veeam_fresh']
    if machine['last_result'] == 'Failed':
        groups.append('veeam_failed')
    elif machine['last_result'] == 'Warning':
        groups.append('veeam_warning')
    newest = machine['restore_points'][0] if machine['restore_points'] else {}
    if newest.get('malware_status') in MALWARE:
        groups.append('veeam_malware')
    if machine['job_name']:
        groups.append(to_safe_group_name('veeam_job_' + machine['job_name'], force=True, silent=True))
    return groups


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """The machines a Veeam server backs up, as hosts."""

    NAME = 'backupops.veeam.machines'

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(('.veeam.yml', '.veeam.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache') and cache
        update_cache = self.get_option('cache') and not cache
        machines = None
        if use_cache:
            try:
                machines = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if machines is None:
            machines = self._read_machines()
        if update_cache:
            self._cache[cache_key] = machines
        self._populate(machines)

    def _read_machines(self):
        """The machine dicts from the server: options checked first (no request for a bad one), errors masked."""
        # imported here: the module_utils import requests (and xmltodict) only when the plugin is used
        from ansible_collections.backupops.veeam.plugins.module_utils import _machines as machines_utils
        from ansible_collections.backupops.veeam.plugins.module_utils._module import (
            basic_credentials,
            check_since,
            mask,
            open_client,
            secret_forms,
        )
        from ansible_collections.backupops.veeam.plugins.module_utils._parse import UTC, format_time
        import datetime

        params = dict((option, self.get_option(option)) for option in CONNECTION_OPTIONS)
        secrets = set()

        def register_secret(value):
            secrets.update(secret_forms(value))
        for option in ('password', 'api_key'):
            register_secret(params.get(option))
        if params.get('username') and params.get('password'):
            register_secret(basic_credentials(params['username'], params['password']))

        def warn(text):
            display.warning('%s: %s' % (self.NAME, mask(text, secrets)))
        try:
            since = check_since(self.get_option('max_age'), 'max_age')
            if self.get_option('backup_server') is not None and not self.get_option('backup_server').strip():
                raise VeeamOptionError('backup_server: must not be empty')
            client = open_client(params, register_secret=register_secret, warn=warn,
                                 clients=machines_utils.machine_client_class)
            with client:
                rows = client.list_machines(self.get_option('kind'), self.get_option('backup_server'))
        except VeeamError as error:
            raise AnsibleParserError('%s: %s' % (self.NAME, mask(error.message, secrets)))
        except RecursionError:
            raise AnsibleParserError('%s: an answer of the server was nested too deeply to read: it is not the Veeam '
                                     'API' % self.NAME)
        now = datetime.datetime.now(UTC)
        return [machines_utils.inventory_machine(row, format_time(since), now) for row in rows]

    def _populate(self, machines):
        for group in ALWAYS:
            self.inventory.add_group(group)
        strict = self.get_option('strict')
        for name, machine in host_names(machines):
            host = self.inventory.add_host(name)
            self.inventory.set_variable(host, 'veeam_machine', machine)
            for group in machine_groups(machine):
                self.inventory.add_group(group)
                self.inventory.add_child(group, host)
            hostvars = {'veeam_machine': machine}
            self._set_composite_vars(self.get_option('compose'), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, host, strict=strict)
