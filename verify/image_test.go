package verify

import (
	"testing"

	"github.com/boot-guard/boot-guard/verify/initrd"
)

func TestImageProblem(t *testing.T) {
	cases := []struct {
		kind initrd.ProblemKind
		want Problem
	}{
		{initrd.Truncated, Problem{Code: CodeInitrdTruncated, Verdict: Unbootable}},
		{initrd.Corrupt, Problem{Code: CodeInitrdCorrupt, Verdict: Unbootable}},
		{initrd.Unsupported, Problem{Code: CodeInitrdUnsupported, Verdict: CannotTell}},
		{initrd.TooLarge, Problem{Code: CodeInitrdTooLarge, Verdict: Unbootable}},
	}
	for _, tc := range cases {
		if got := ImageProblem(ImageIssue{Kind: tc.kind}); got.Code != tc.want.Code || got.Verdict != tc.want.Verdict {
			t.Errorf("%s: %s %s, want %s %s", tc.kind, got.Code, got.Verdict, tc.want.Code, tc.want.Verdict)
		}
	}
	for _, tc := range []struct {
		kinds []initrd.ProblemKind
		want  Verdict
	}{
		{nil, Bootable},
		{[]initrd.ProblemKind{initrd.Unsupported}, CannotTell},
		{[]initrd.ProblemKind{initrd.Unsupported, initrd.Truncated}, Unbootable},
	} {
		im := &Image{}
		for _, k := range tc.kinds {
			im.Problems = append(im.Problems, ImageIssue{Kind: k})
		}
		if v := ImageVerdict(im); v != tc.want {
			t.Errorf("%v: %s, want %s", tc.kinds, v, tc.want)
		}
	}
}

func TestImageKernel(t *testing.T) {
	for _, tc := range []struct {
		path string
		dirs []string
		want string
	}{
		{"/boot/x.img", []string{"usr/lib/modules/6.1.0-1-amd64/kernel/a.ko", "lib/modules/6.1.0-1-amd64"}, "6.1.0-1-amd64"},
		{"/boot/initrd.img-6.1.0-2-amd64", []string{"lib/modules/6.1.0-1/a.ko", "lib/modules/6.1.0-3/a.ko"}, "6.1.0-2-amd64"},
		{"/boot/initrd.img-6.1.0-2-amd64.new", nil, "6.1.0-2-amd64"},
		{"/boot/initramfs-6.5.0.img", []string{"lib/modules/../x", "./lib/modules/./y"}, "6.5.0"},
		{"/boot/initramfs-.img", nil, ""},
		{"/boot/bare.img", []string{"lib/modules"}, ""},
	} {
		dirs := map[string]bool{}
		for _, p := range tc.dirs {
			if v := modulesDirVersion(p); v != "" {
				dirs[v] = true
			}
		}
		if got := imageKernel(tc.path, dirs); got != tc.want {
			t.Errorf("%s %v: %q, want %q", tc.path, tc.dirs, got, tc.want)
		}
	}
}
