package hook

import (
	"testing"

	"github.com/boot-guard/boot-guard/verify"
)

func TestDecide(t *testing.T) {
	enforce := DefaultConfig()
	warn := DefaultConfig()
	warn.Mode = Warn
	strict := DefaultConfig()
	strict.CannotTell = CannotTellFail
	cases := []struct {
		name  string
		v     verify.Verdict
		cfg   Config
		ov    Override
		exit  int
		fails bool
	}{
		{"bootable", verify.Bootable, enforce, NoOverride, 0, false},
		{"unbootable enforce", verify.Unbootable, enforce, NoOverride, 1, true},
		{"unbootable MODE=warn", verify.Unbootable, warn, NoOverride, 0, true},
		{"unbootable BOOT_GUARD=warn", verify.Unbootable, enforce, OverrideWarn, 0, true},
		{"cannot-tell default", verify.CannotTell, enforce, NoOverride, 0, false},
		{"cannot-tell fail", verify.CannotTell, strict, NoOverride, 1, true},
		{"cannot-tell fail BOOT_GUARD=warn", verify.CannotTell, strict, OverrideWarn, 0, true},
	}
	for _, tc := range cases {
		d := Decide(tc.v, tc.cfg, tc.ov)
		if d.Exit != tc.exit || d.Fails != tc.fails || (d.Fails && d.Exit == 0) != (d.Why != "") {
			t.Errorf("%s: %+v", tc.name, d)
		}
		if d.Exit == 77 {
			t.Errorf("%s: exit 77 means success to kernel-install", tc.name)
		}
	}
}
