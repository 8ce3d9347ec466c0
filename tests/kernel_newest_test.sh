#!/bin/bash
# kernel_newest_test.sh — tests/kernel_test.sh on the newest kernel (tools/vm/newest-kernel,
# Debian's 7.x cloud kernel in the microVM), where TLS 1.3 rekey works and the rekey tests run
# for real. tests/kernel_test.sh itself runs on this host's kernel or Debian 12's 6.1: `make
# check` runs both. A kernel that cannot be fetched or booted fails, with ktls-vm's reason.
set -u
export KTLS_VM_KERNEL=newest
exec bash "$(dirname "${BASH_SOURCE[0]}")/kernel_test.sh"
