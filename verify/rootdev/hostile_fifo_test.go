//go:build unix

package rootdev

import (
	"path/filepath"
	"syscall"
	"testing"
)

// A FIFO where an attribute should be would block an open for ever: it is
// refused before it is opened.
func TestHostileFIFO(t *testing.T) {
	f := newFakeSys(t)
	v := f.device(f.pci("0000:00:05.0", "pci:v1", "virtio-pci", "virtio_pci")+"/virtio2", "bus/virtio", "", "virtio_blk", "virtio_blk")
	if err := syscall.Mkfifo(filepath.Join(f.sys, v, "modalias"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	f.disk(v+"/block", "vda", "254:0")
	f.mountinfo(rootLine(27, "254:0", "/", "ext4", "/dev/vda"))
	checkUnknown(t, f.discover(), "virtio2/modalias: not a regular file: it is a named pipe")

	g := newFakeSys(t)
	if err := syscall.Mkfifo(filepath.Join(g.proc, "4242", "mountinfo"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	checkUnknown(t, g.discover(), "cannot read /proc/self/mountinfo: not a regular file: it is a named pipe")
}
