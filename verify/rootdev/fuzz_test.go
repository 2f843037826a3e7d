package rootdev

import (
	"io/fs"
	"testing"
	"testing/fstest"
)

// FuzzDiscover feeds Discover a fuzzed mountinfo and a fuzzed dev/block link
// over a small sysfs in memory. Invariants: no panic, no result alongside an
// error, and a root that was found is either walked to a driver or named in
// Unknown; never an empty verdict.
func FuzzDiscover(f *testing.F) {
	f.Add("27 1 254:0 / / rw - ext4 /dev/vda rw\n", "../../devices/pci0000:00/0000:00:05.0/virtio2/block/vda")
	f.Add("27 1 254:0 / / rw - ext4 /dev/vda rw\n", "../../devices/virtual/block/dm-0")
	f.Add("27 1 0:30 / / rw - btrfs /dev/vda rw\n", "x")
	f.Add("27 1 254:0 / / rw - ext4 /dev/vda rw\n28 27 254:0 / /usr rw - xfs /dev/vda rw\n", "../../devices/virtual/block/loop0")
	f.Add("27 1 254:0 / / rw - ext4 /dev/vda rw\n", "../../../../../etc")
	f.Add("27 1 254:0 / / rw - ext4 /dev/vda rw\n", "/abs")
	f.Add("27 1 254:0 / / rw - ext4 /dev/vda rw\n", "../block/254:0")
	f.Fuzz(func(t *testing.T, mountinfo, link string) {
		sys := fuzzSys(link)
		proc := fstest.MapFS{"self/mountinfo": {Data: []byte(mountinfo)}}
		res, err := Discover(sys, proc)
		if err != nil {
			if res != nil {
				t.Fatalf("result alongside error %v", err)
			}
			return
		}
		if len(res.Unknown) > 0 {
			return
		}
		if len(res.Mounts) == 0 {
			t.Fatalf("no mount and no Unknown: %+v", res)
		}
		driver := false
		for _, n := range res.Needs {
			driver = driver || n.Kind != NeedFilesystem
		}
		if !driver {
			t.Fatalf("a root with no driver need and no Unknown: %+v", res)
		}
	})
}

func fuzzSys(link string) fstest.MapFS {
	sym := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink | 0o777}
	}
	const vdev = "devices/pci0000:00/0000:00:05.0/virtio2"
	return fstest.MapFS{
		"dev/block/254:0":                               sym(link),
		"devices/pci0000:00/0000:00:05.0/modalias":      {Data: []byte("pci:v00001AF4d00001001\n")},
		vdev + "/modalias":                              {Data: []byte("virtio:d00000002v00001AF4\n")},
		vdev + "/driver":                                sym("../../../../bus/virtio/drivers/virtio_blk"),
		"bus/virtio/drivers/virtio_blk/bind":            {},
		vdev + "/block/vda/dev":                         {Data: []byte("254:0\n")},
		vdev + "/block/vda/vda1/partition":              {Data: []byte("1\n")},
		"devices/virtual/block/dm-0/dm/uuid":            {Data: []byte("CRYPT-LUKS2-x-root\n")},
		"devices/virtual/block/dm-0/dm/name":            {Data: []byte("root\n")},
		"devices/virtual/block/dm-0/slaves/vda1":        sym("../../../../pci0000:00/0000:00:05.0/virtio2/block/vda/vda1"),
		"devices/virtual/block/dm-1/dm/uuid":            {Data: []byte("LVM-x\n")},
		"devices/virtual/block/dm-1/slaves/dm-1":        sym("../../dm-1"),
		"devices/virtual/block/loop0/loop/backing_file": {Data: []byte("/x.img\n")},
		"fs/btrfs/u/devices/vda":                        sym("../../../../" + vdev + "/block/vda"),
	}
}
