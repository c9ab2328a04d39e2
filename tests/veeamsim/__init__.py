# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS simulator of the Veeam Enterprise Manager and Service Provider Console REST APIs (tests only)."""
