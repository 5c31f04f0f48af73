// SPDX-License-Identifier: Apache-2.0
import * as assert from 'node:assert/strict';
import { moduleName, parseModulesBuiltin, parseModulesDep, selectModules } from './module-deps';

// Shaped like Debian 12's cloud kernel modules.dep (paths relative to lib/modules/<kver>/).
const DEP = `
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko
kernel/drivers/block/virtio_blk.ko:
kernel/fs/fuse/fuse.ko:
kernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko
kernel/net/vmw_vsock/vsock.ko:
kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko: kernel/net/vmw_vsock/vsock.ko
kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko: kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko
kernel/drivers/net/macvtap.ko.xz: kernel/drivers/net/tap.ko.xz kernel/drivers/net/macvlan.ko.xz
kernel/drivers/net/tap.ko.xz:
kernel/drivers/net/macvlan.ko.xz:
kernel/drivers/hid/hid-generic.ko:
`;
const BUILTIN = 'kernel/fs/ext4/ext4.ko\nkernel/drivers/char/virtio_console.ko\n';

describe('module-deps', () => {
  it('names a module after its file, without extension, with underscores', () => {
    assert.equal(moduleName('kernel/drivers/net/macvtap.ko.xz'), 'macvtap');
    assert.equal(moduleName('kernel/drivers/hid/hid-generic.ko'), 'hid_generic');
    assert.equal(moduleName('virtio_pci.ko.zst'), 'virtio_pci');
  });

  it('selects a module together with every module it depends on', () => {
    const sel = selectModules(['virtio_pci'], parseModulesDep(DEP), new Set());
    assert.deepEqual(sel.files, [
      'kernel/drivers/virtio/virtio_pci.ko',
      'kernel/drivers/virtio/virtio_pci_legacy_dev.ko',
      'kernel/drivers/virtio/virtio_pci_modern_dev.ko',
    ]);
    assert.deepEqual(sel.included, ['virtio_pci']);
  });

  it('follows dependencies transitively and copies a shared dependency once', () => {
    const sel = selectModules(['vmw_vsock_virtio_transport', 'virtiofs', 'fuse'], parseModulesDep(DEP), new Set());
    assert.deepEqual(sel.files, [
      'kernel/fs/fuse/fuse.ko',
      'kernel/fs/fuse/virtiofs.ko',
      'kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko',
      'kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko',
      'kernel/net/vmw_vsock/vsock.ko',
    ]);
  });

  it('reports built-in and absent modules instead of failing', () => {
    const sel = selectModules(['virtio_console', 'virtio_blk', '9pnet_virtio', 'ext4'], parseModulesDep(DEP), parseModulesBuiltin(BUILTIN));
    assert.deepEqual(sel.included, ['virtio_blk']);
    assert.deepEqual(sel.builtin, ['virtio_console', 'ext4']);
    assert.deepEqual(sel.missing, ['9pnet_virtio']);
    assert.deepEqual(sel.files, ['kernel/drivers/block/virtio_blk.ko']);
  });

  it('accepts compressed modules and dashed names', () => {
    const sel = selectModules(['macvtap', 'hid-generic'], parseModulesDep(DEP), new Set());
    assert.deepEqual(sel.included, ['macvtap', 'hid_generic']);
    assert.deepEqual(sel.files, [
      'kernel/drivers/hid/hid-generic.ko',
      'kernel/drivers/net/macvlan.ko.xz',
      'kernel/drivers/net/macvtap.ko.xz',
      'kernel/drivers/net/tap.ko.xz',
    ]);
  });
});
