package rootdev

import (
	"strings"
	"testing"
)

// Issue 12 item 5: a btrfs root's checksum algorithm, from
// /sys/fs/btrfs/UUID/checksum, is a crypto need by the name btrfs asks the
// crypto API for.
func TestBtrfsChecksumNeed(t *testing.T) {
	const fsid = "5d6a1c3e-2b4f-4f7a-9c1d-0e8f7a6b5c4d"
	cases := []struct {
		attr string // "" : no checksum attribute (Linux before 5.5)
		want string // the crypto need's value; "" : none
	}{
		{"xxhash64 (xxhash64-generic)", "xxhash64"},
		{"sha256 (sha256-avx2)", "sha256"},
		{"blake2b (blake2b-256-generic)", "blake2b-256"},
		{"crc32c (crc32c-intel)", "crc32c"},
		{"", ""},
	}
	for _, tc := range cases {
		f := newFakeSys(t)
		p := f.partition(f.disk(f.nvme("0000:02:00.0", "nvme0"), "nvme0n1", "259:0"), "nvme0n1p2", "259:2")
		f.mkdir("fs/btrfs/features")
		f.link("fs/btrfs/"+fsid+"/devices/nvme0n1p2", p)
		if tc.attr != "" {
			f.file("fs/btrfs/"+fsid+"/checksum", tc.attr)
		}
		f.mountinfo("27 1 0:30 / / rw - btrfs /dev/nvme0n1p2 rw")
		res := f.discover()
		if len(res.Unknown) > 0 {
			t.Errorf("%q: unknown %q", tc.attr, res.Unknown)
		}
		var got []Need
		for _, n := range res.Needs {
			if n.Kind == NeedCrypto {
				got = append(got, n)
			}
		}
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("no attribute: crypto needs %+v, want none", got)
		case tc.want != "" && (len(got) != 1 || got[0].Value != tc.want):
			t.Errorf("%q: crypto needs %+v, want %s", tc.attr, got, tc.want)
		case tc.want != "":
			alg, _, _ := strings.Cut(tc.attr, " ")
			if want := "checksum algorithm " + alg + " of btrfs " + fsid + ", mounted at /"; got[0].Reason != want {
				t.Errorf("reason %q, want %q", got[0].Reason, want)
			}
		}
	}
}

// An attribute that says nothing usable is cannot-tell, not a need.
func TestBtrfsChecksumUnreadable(t *testing.T) {
	for _, attr := range []string{" ", "../../x (y)"} {
		f := newFakeSys(t)
		p := f.partition(f.disk(f.nvme("0000:02:00.0", "nvme0"), "nvme0n1", "259:0"), "nvme0n1p2", "259:2")
		f.link("fs/btrfs/u/devices/nvme0n1p2", p)
		f.file("fs/btrfs/u/checksum", attr)
		f.mountinfo("27 1 0:30 / / rw - btrfs /dev/nvme0n1p2 rw")
		res := f.discover()
		if len(res.Unknown) != 1 || !strings.Contains(res.Unknown[0], "checksum algorithm of btrfs u at / is unknown") {
			t.Errorf("%q: unknown = %q", attr, res.Unknown)
		}
		for _, n := range res.Needs {
			if n.Kind == NeedCrypto {
				t.Errorf("%q: crypto need %+v", attr, n)
			}
		}
	}
}
