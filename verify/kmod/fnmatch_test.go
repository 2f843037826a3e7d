package kmod

import (
	"reflect"
	"strings"
	"testing"
)

func TestFnmatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"*", "", true},
		{"*", "anything/with/slashes", true},
		{"a*", "a", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a**c", "ac", true},
		{"*c*", "xxcxx", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"?", "", false},
		// PCI class aliases: the star must back off when a later part fails.
		{"pci:v*d*sv*sd*bc01sc08i02*", "pci:v00008086d0000F1A5sv00008086sd0000390Abc01sc08i02", true},
		{"pci:v*d*sv*sd*bc01sc08i02*", "pci:v00008086d0000F1A5sv00008086sd0000390Abc01sc08i03", false},
		{"pci:v*d*sv*sd*bc01sc06i01*", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", true},
		{"usb:v*p*d*dc*dsc*dp*ic08isc06ip50in*", "usb:v0781p5581d0100dc00dsc00dp00ic08isc06ip50in00", true},
		// Bracket sets as module authors write them.
		{"pci:v00008086d0000[0-9]*", "pci:v00008086d00005abc", true},
		{"pci:v00008086d0000[0-9]*", "pci:v00008086d0000Aabc", false},
		{"[!a]bc", "xbc", true},
		{"[!a]bc", "abc", false},
		{"[^a]bc", "abc", false},
		{"[]]x", "]x", true},
		{"[!]]x", "]x", false},
		{"[a-]", "-", true},
		{"[ab", "[ab", true}, // unterminated: literal
		{"[ab", "a", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{`[\]]`, "]", true},
		{`a\`, `a\`, true},
		{"acpi*:PNP0A03:*", "acpi:PNP0A03:", true},
		{"of:N*T*Cnvidia,tegra186-sdhci", "of:NmmcT(null)Cnvidia,tegra186-sdhci", true},
		{"of:N*T*Cnvidia,tegra186-sdhciC*", "of:NmmcT(null)Cnvidia,tegra186-sdhci", false},
	}
	for _, tc := range cases {
		if got := fnmatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// TestFnmatchPathological: many stars against a long non-match stays
// polynomial (this would take minutes with naive recursion).
func TestFnmatchPathological(t *testing.T) {
	pattern := strings.Repeat("a*", 30) + "b"
	if fnmatch(pattern, strings.Repeat("a", 5000)) {
		t.Fatal("matched")
	}
}

func TestNormalizeAlias(t *testing.T) {
	cases := map[string]string{
		"fs-ext4":                "fs_ext4",
		"fs_ext4":                "fs_ext4",
		"pci:v0000[0-9]d-x":      "pci:v0000[0-9]d_x",
		"platform:foo-bar[a-c]-": "platform:foo_bar[a-c]_",
		"no-dash[-]":             "no_dash[-]",
	}
	for in, want := range cases {
		if got := normalizeAlias(in); got != want {
			t.Errorf("normalizeAlias(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAliasIndex(t *testing.T) {
	a := newAliasIndex()
	for _, p := range [][2]string{
		{"pci:v*d*sv*sd*bc01sc08i02*", "nvme"},
		{"pci:v0000106Bd00002001sv*sd*bc*sc*i*", "nvme"},
		{"pci:v00008086d*sv*sd*bc01sc08i02*", "intel_nvme_quirk"},
		{"*", "catch_all"},
		{"fs-ext4", "ext4"},
		{"fs-ext4", "ext4_twin"},
		{"fs-ext", "short"},
		{"dm-crypt", "dm_crypt"},
	} {
		a.add(p[0], p[1])
	}
	cases := map[string][]string{
		"pci:v00008086d0000F1A5sv00008086sd0000390Abc01sc08i02": {"catch_all", "intel_nvme_quirk", "nvme"},
		"pci:v0000106Bd00002001sv0000106Bsd00000000bc01sc08i02": {"catch_all", "nvme"},
		"fs-ext4":  {"catch_all", "ext4", "ext4_twin"},
		"fs_ext4":  {"catch_all", "ext4", "ext4_twin"},
		"fs-ext4x": {"catch_all"},
		"dm_crypt": {"catch_all", "dm_crypt"},
		"":         {"catch_all"},
	}
	for in, want := range cases {
		if got := a.lookup(in); !reflect.DeepEqual(got, want) {
			t.Errorf("lookup(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzAliasIndex: the prefix index never loses a match that trying every
// pattern would find, and never panics on odd patterns.
func FuzzAliasIndex(f *testing.F) {
	f.Add("pci:v*d*sv*sd*bc01sc08i02*", "pci:v00008086d0000F1A5sv00008086sd0000390Abc01sc08i02")
	f.Add("fs-ext4", "fs_ext4")
	f.Add("[a-", "[a-")
	f.Add(`a\`, `a\`)
	f.Add("*", "")
	f.Add("x[!]]*", "x]")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		a := newAliasIndex()
		a.add(pattern, "m")
		got := len(a.lookup(s)) == 1
		want := fnmatch(normalizeAlias(pattern), normalizeAlias(s))
		if got != want {
			t.Fatalf("pattern %q, modalias %q: index says %v, fnmatch says %v", pattern, s, got, want)
		}
	})
}
