package verify_test

import (
	"io/fs"
	"os"
	"testing"
	"testing/fstest"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
)

// Named modules (--module, MODULES=) decide the device part when nothing
// shows the device the system boots on: under --root (no /sys and /proc
// given), in a chroot where /proc and /sys are not mounted (empty
// directories), in a container whose / is an overlay. Bootable when every
// named module and its dependencies are in the image; cannot-tell with none
// named.
func TestNamedModulesDecideWithoutDevices(t *testing.T) {
	overlay := fstest.MapFS{"self/mountinfo": {Data: []byte("100 90 0:50 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w\n")}}
	nfs := fstest.MapFS{"self/mountinfo": {Data: []byte("100 1 0:52 / / rw - nfs4 10.0.0.1:/srv/root rw,vers=4.2\n")}}
	cases := []struct {
		name      string
		sys, proc func(t *testing.T) fs.FS
		// decided: the named modules decide; else cannot-tell stays.
		decided bool
		note    bool // a note says the named modules stand for the device
	}{
		{"under --root", nil, nil, true, false},
		{"chroot without /proc and /sys", emptyDir, emptyDir, true, true},
		{"container on overlay", emptyDir, func(*testing.T) fs.FS { return overlay }, true, true},
		{"network root", emptyDir, func(*testing.T) fs.FS { return nfs }, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			req := f.request()
			req.Sys, req.Proc = nil, nil
			if tc.sys != nil {
				req.Sys, req.Proc = tc.sys(t), tc.proc(t)
			}
			// Nothing named: the device part is cannot-tell.
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
			if k := check(t, req); k.Verdict != verify.CannotTell {
				t.Errorf("nothing named: verdict %v, problems %+v", k.Verdict, k.Problems)
			}
			req.Modules = []string{"nvme", "ext4"}
			k := check(t, req)
			want := verify.CannotTell
			if tc.decided {
				want = verify.Bootable
			}
			if k.Verdict != want {
				t.Fatalf("nvme and ext4 named and in the image: verdict %v, want %v; problems %+v", k.Verdict, want, k.Problems)
			}
			if !tc.decided {
				return
			}
			hasNote := false
			for _, p := range k.Problems {
				hasNote = hasNote || (p.Code == verify.CodeDevicesUnknown && p.Verdict == verify.Bootable)
			}
			if hasNote != tc.note {
				t.Errorf("note that the named modules stand for the device: %v, want %v (%+v)", hasNote, tc.note, k.Problems)
			}
			if r, ok := requirement(k, "nvme_core"); !ok || r.Status != verify.StatusInInitrd {
				t.Errorf("nvme's dependency nvme_core not required: %+v", k.Requirements)
			}
			// The image without nvme: the named module decides that too.
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds, "nvme")}.Write(t, f.root)
			if k := check(t, req); k.Verdict != verify.Unbootable {
				t.Errorf("nvme named, not in the image: verdict %v", k.Verdict)
			}
		})
	}
}

// emptyDir is a /sys or /proc that is not mounted: an empty directory.
func emptyDir(t *testing.T) fs.FS { return os.DirFS(t.TempDir()) }
