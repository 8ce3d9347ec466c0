#!/bin/bash
# www_attack_kernel_newest_test.sh — tests/www_attack_kernel_test.sh on the newest kernel
# (tools/vm/newest-kernel) in the microVM, where the attacker's KeyUpdates are kernel rekeys.
# The other run of it uses this host's kernel or Debian 12's 6.1: `make check` runs both.
set -u
export KTLS_VM_KERNEL=newest
exec bash "$(dirname "${BASH_SOURCE[0]}")/www_attack_kernel_test.sh"
