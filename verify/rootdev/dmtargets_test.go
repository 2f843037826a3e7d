package rootdev

import (
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
)

// Issue 12 item 4: the dm targets of the live table, the LVM guess only
// without it.

// tableSys is the fake /sys that also gives tables by major:minor.
type tableSys struct {
	fs.FS
	tables map[string]string
}

func (t tableSys) ReadLink(name string) (string, error)   { return t.FS.(fs.ReadLinkFS).ReadLink(name) }
func (t tableSys) Lstat(name string) (fs.FileInfo, error) { return t.FS.(fs.ReadLinkFS).Lstat(name) }

func (t tableSys) DMTable(majMin string) (string, error) {
	s, ok := t.tables[majMin]
	if !ok {
		return "", fmt.Errorf("DM_TABLE_STATUS of %s: no such device or address", majMin)
	}
	return s, nil
}

func (f *fakeSys) discoverTables(tables map[string]string) *Result {
	f.t.Helper()
	res, err := Discover(tableSys{FS: os.DirFS(f.sys), tables: tables}, os.DirFS(f.proc))
	if err != nil {
		f.t.Fatalf("Discover: %v", err)
	}
	return res
}

// thinStack is an LVM thin LV over its pool, on vda2.
func thinStack(t *testing.T) *fakeSys {
	f := newFakeSys(t)
	pci := f.pci("0000:00:05.0", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", "virtio-pci", "virtio_pci")
	v := f.device(pci+"/virtio2", "bus/virtio", "virtio:d00000002v00001AF4", "virtio_blk", "virtio_blk")
	vda2 := f.partition(f.disk(v+"/block", "vda", "254:0"), "vda2", "254:2")
	tdata := f.dm("dm-1", "253:1", "vg-pool_tdata", "LVM-aaaabbbb-tdata", vda2)
	tmeta := f.dm("dm-0", "253:0", "vg-pool_tmeta", "LVM-aaaacccc-tmeta", vda2)
	pool := f.dm("dm-2", "253:2", "vg-pool-tpool", "LVM-aaaadddd-tpool", tmeta, tdata)
	f.dm("dm-3", "253:3", "vg-root", "LVM-aaaaeeee", pool)
	f.mountinfo(rootLine(27, "253:3", "/", "ext4", "/dev/mapper/vg-root"))
	return f
}

var thinTables = map[string]string{
	"253:0": "0 8192 linear 254:2 2048\n",
	"253:1": "0 2097152 linear 254:2 10240\n",
	"253:2": "0 2097152 thin-pool 253:0 253:1 128 0 0\n",
	"253:3": "0 4194304 thin 253:2 1\n",
}

func modules(res *Result) map[string]string {
	out := map[string]string{}
	for _, n := range res.Needs {
		if n.Kind == NeedModule {
			out[n.Value] = n.Guess
		}
	}
	return out
}

func TestThinLVFromTable(t *testing.T) {
	res := thinStack(t).discoverTables(thinTables)
	want := map[string]string{"dm_mod": "", "dm-thin-pool": ""}
	if got := modules(res); !reflect.DeepEqual(got, want) {
		t.Errorf("modules = %v, want %v", got, want)
	}
	if len(res.Notes) != 0 || len(res.Unknown) != 0 {
		t.Errorf("notes %q, unknown %q, want none", res.Notes, res.Unknown)
	}
	for _, n := range res.Needs {
		if n.Value == "dm-thin-pool" && !strings.HasPrefix(n.Reason, "needed by dm target thin of LVM dm-3 (vg-root)") {
			t.Errorf("reason = %q", n.Reason)
		}
	}
}

// Without the tables the names decide, and every guess says so.
func TestThinLVGuessedWithoutTable(t *testing.T) {
	res := thinStack(t).discover()
	got := modules(res)
	if got["dm_mod"] != "" || !strings.Contains(got["dm_thin_pool"], "guessed from the LVM names of dm-2") {
		t.Errorf("modules = %v, want dm_mod known and dm_thin_pool guessed", got)
	}
	if len(res.Notes) != 4 || !strings.Contains(res.Notes[0], "cannot be read") {
		t.Errorf("notes = %q, want one per LVM device", res.Notes)
	}
	if len(res.Unknown) != 0 {
		t.Errorf("unknown = %q", res.Unknown)
	}
}

// A table that cannot be read for one device: that one is guessed.
func TestTableReadErrorGuesses(t *testing.T) {
	tables := map[string]string{"253:0": thinTables["253:0"], "253:1": thinTables["253:1"], "253:3": thinTables["253:3"]}
	res := thinStack(t).discoverTables(tables)
	got := modules(res)
	// dm-3's table names thin, which is dm-thin-pool's: known.
	if got["dm-thin-pool"] != "" || !strings.Contains(got["dm_thin_pool"], "no such device") {
		t.Errorf("modules = %v", got)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "dm-2") {
		t.Errorf("notes = %q, want dm-2's", res.Notes)
	}
}

// A plain LV named like a RAID image is what its table says: linear.
func TestLVNamesDoNotDecideWithTable(t *testing.T) {
	f := newFakeSys(t)
	disk := f.disk(f.nvme("0000:02:00.0", "nvme0"), "nvme0n1", "259:0")
	f.dm("dm-0", "254:0", "vg-root_rimage_0", "LVM-abc", disk)
	f.mountinfo(rootLine(27, "254:0", "/", "ext4", "/dev/mapper/vg-root_rimage_0"))
	res := f.discoverTables(map[string]string{"254:0": "0 2048 linear 259:0 2048\n"})
	if got := modules(res); !reflect.DeepEqual(got, map[string]string{"dm_mod": ""}) {
		t.Errorf("modules = %v, want only dm_mod", got)
	}
}

func TestTableNeeds(t *testing.T) {
	for _, tc := range []struct {
		table string
		want  []string // module, or module?guess
	}{
		{"0 10 linear 8:1 0\n10 10 striped 2 128 8:2 0 8:3 0\n20 5 error\n", nil},
		{"0 10 raid raid1 3 0 region_size 1024 2 254:1 254:2 254:3 254:4\n", []string{"dm-raid", "md-level-1"}},
		{"0 10 raid raid5_ls 1 128 3 - 8:1 - 8:2 - 8:3\n", []string{"dm-raid", "md-level-5"}},
		{"0 10 raid raid6_zr 1 128 4 - 8:1 - 8:2 - 8:3 - 8:4\n", []string{"dm-raid", "md-level-6"}},
		{"0 10 cache 254:1 254:2 254:3 128 1 writethrough smq 0\n", []string{"dm-cache", "dm-cache-smq"}},
		{"0 10 cache 254:1 254:2 254:3 128 0 cleaner 0\n", []string{"dm-cache", "dm-cache-cleaner"}},
		{"0 10 cache 254:1 254:2 254:3 128 9 x\n", []string{"dm-cache"}}, // feature count past the end
		{"0 10 mirror core 1 1024 2 8:1 0 8:2 0 1 handle_errors\n", []string{"dm-mirror"}},
		{"0 10 mirror userspace 4 clustered-disk 8:3 1024 abc 2 8:1 0 8:2 0\n", []string{"dm-mirror", "dm-log-userspace"}},
		{"0 10 snapshot-origin 254:1\n", []string{"dm-snapshot-origin"}},
		{"0 10 snapshot 254:1 254:2 P 8\n", []string{"dm-snapshot"}},
		{"0 10 writecache s 254:1 254:2 4096 0\n", []string{"dm-writecache"}},
		{"0 10 integrity 8:1 0 4 J 0\n", []string{"dm-integrity"}},
		{"0 10 crypt aes-xts-plain64 - 0 8:1 32768\n", []string{"dm-crypt"}},
		{"0 10 bow 8:1\n", []string{"dm-bow?"}},
		{"0 10 linear 8:1 0\n10 10 thin-pool a b 128 0 0\n20 10 thin-pool a b 128 0 0\n", []string{"dm-thin-pool"}},
		{"garbage\n\n0 10\n", nil},
	} {
		var got []string
		for _, n := range tableNeeds(tc.table) {
			s := n.module
			if n.guess != "" {
				s += "?"
			}
			got = append(got, s)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("tableNeeds(%q) = %v, want %v", tc.table, got, tc.want)
		}
	}
}

// A hostile table is bounded and its names clipped.
func TestTableNeedsHostile(t *testing.T) {
	huge := strings.Repeat("0 1 t"+strings.Repeat("x", 300)+" a\n", 1)
	for i := 0; i < 10000; i++ {
		huge += fmt.Sprintf("0 1 target%d\n", i)
	}
	n := tableNeeds(huge)
	if len(n) > maxTableLines {
		t.Errorf("%d needs from one table, want at most %d", len(n), maxTableLines)
	}
	if len(n[0].module) > 200 {
		t.Errorf("module name not clipped: %d bytes", len(n[0].module))
	}
}

// Issue 12 item 4: external metadata (IMSM, DDF) needs mdmon.
func TestMDExternalMetadataNeedsMdmon(t *testing.T) {
	for _, tc := range []struct {
		version string
		mdmon   bool
	}{
		{"external:/md127/0", true},
		{"external:imsm", true},
		{"external:-/md127/1", true},
		{"1.2", false},
		{"none", false},
	} {
		f := newFakeSys(t)
		sda := f.disk(f.sata("0000:00:1f.2", "ata1", 0), "sda", "8:0")
		md := f.md("md126", "9:126", "raid1", sda)
		f.file(md+"/md/metadata_version", tc.version)
		f.mountinfo(rootLine(27, "9:126", "/", "ext4", "/dev/md126"))
		res := f.discover()
		var progs []string
		for _, u := range res.Userspace {
			progs = append(progs, u.Program)
		}
		want := []string{"mdadm"}
		if tc.mdmon {
			want = append(want, "mdmon")
		}
		if !reflect.DeepEqual(progs, want) {
			t.Errorf("metadata %q: userspace %v, want %v", tc.version, progs, want)
		}
		if tc.mdmon && !strings.Contains(res.Userspace[1].Detail, "metadata "+tc.version) {
			t.Errorf("mdmon detail = %q", res.Userspace[1].Detail)
		}
	}
}
