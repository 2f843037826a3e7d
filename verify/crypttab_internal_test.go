package verify

import (
	"reflect"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify/rootdev"
)

const testLUKS = "01234567-89ab-cdef-0123-456789abcdef"

var testCrypt = rootdev.Userspace{Program: "cryptsetup", CryptName: "root_crypt", LUKSUUID: testLUKS, Under: []string{"nvme0n1p3"}}

func TestParseCrypttab(t *testing.T) {
	in := "# comment\n\n  root_crypt UUID=" + testLUKS + " none luks,discard\nswap_crypt /dev/sda2 /dev/urandom swap\nlonely\n" +
		"target=old_crypt,source=UUID=abcd,key=none,rootdev\ntarget=nosource,key=none\n"
	want := []crypttabEntry{{"root_crypt", "UUID=" + testLUKS}, {"swap_crypt", "/dev/sda2"}, {"old_crypt", "UUID=abcd"}}
	if got := parseCrypttab([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if n := len(parseCrypttab([]byte(strings.Repeat("a b\n", 3*maxCrypttabEntries)))); n != maxCrypttabEntries {
		t.Errorf("%d entries, want the bound %d", n, maxCrypttabEntries)
	}
}

func TestEntryUnlocks(t *testing.T) {
	cases := []struct {
		e    crypttabEntry
		want naming
	}{
		{crypttabEntry{"root_crypt", "UUID=" + testLUKS}, namesIt},
		{crypttabEntry{"other", "UUID=" + strings.ToUpper(testLUKS)}, namesIt}, // another name still unlocks the device
		{crypttabEntry{"root_crypt", "/dev/disk/by-uuid/" + testLUKS}, namesIt},
		{crypttabEntry{"root_crypt", "UUID=0123456789abcdef0123456789abcdef"}, namesIt},
		{crypttabEntry{"x", "/dev/nvme0n1p3"}, namesIt},
		{crypttabEntry{"root_crypt", "PARTUUID=aa"}, namesIt}, // not compared: the mapping's name decides
		{crypttabEntry{"root_crypt", "UUID=fedcba98-7654-3210-fedc-ba9876543210"}, namesOther},
		{crypttabEntry{"swap", "UUID=fedcba98-7654-3210-fedc-ba9876543210"}, namesUnknown},
		{crypttabEntry{"swap", "PARTUUID=aa"}, namesUnknown},
		{crypttabEntry{"root_crypt", "/dev/sdz9"}, namesIt}, // kernel names change between boots
	}
	for _, tc := range cases {
		if got := entryUnlocks(tc.e, testCrypt); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.e, got, tc.want)
		}
	}
	// A plain dm-crypt (no LUKS UUID): a UUID= cannot be compared.
	plain := testCrypt
	plain.LUKSUUID = ""
	if got := entryUnlocks(crypttabEntry{"root_crypt", "UUID=x"}, plain); got != namesIt {
		t.Errorf("plain: %v", got)
	}
}

func TestParseLUKSArgs(t *testing.T) {
	a := parseLUKSArgs("BOOT_IMAGE=/v rd.luks.uuid=luks-" + testLUKS + " rd.luks.name=" + testLUKS + "=root rd.auto rd.luks.crypttab=no -- rd.luks=0")
	if a.off || !a.auto || !a.noCrypttab || len(a.uuids) != 1 || len(a.nameUUIDs) != 1 || a.other {
		t.Errorf("%+v", a)
	}
	if !uuidNamed(a.uuids, testLUKS, false) || !uuidNamed(a.nameUUIDs, testLUKS, false) {
		t.Errorf("uuids %v %v do not name %s", a.uuids, a.nameUUIDs, testLUKS)
	}
	if b := parseLUKSArgs("rd.luks=0"); !b.off {
		t.Errorf("rd.luks=0: %+v", b)
	}
	if b := parseLUKSArgs("rd_NO_LUKS rd.auto=0 rd.luks.partuuid=x"); !b.off || b.auto || !b.other {
		t.Errorf("%+v", b)
	}
	if uuidNamed([]string{"0123"}, testLUKS, false) || !uuidNamed([]string{"0123"}, testLUKS, true) || uuidNamed([]string{"luks-"}, testLUKS, true) {
		t.Errorf("a part of the UUID: exact for systemd, a substring for dracut's udev rule, never empty")
	}
}

// FuzzCrypttab feeds the crypttab and command-line readers anything.
// Invariants: no panic, bounded output, every entry has a source, and an
// entry's verdict is one of the three namings.
func FuzzCrypttab(f *testing.F) {
	f.Add("root_crypt UUID="+testLUKS+" none luks\n", "rd.luks.uuid=luks-"+testLUKS)
	f.Add("target=root_crypt,source=/dev/nvme0n1p3,key=none\n#x\n", "rd.luks=0 rd.luks.name==")
	f.Add("\x00 \xff\n\t\t\n=", "rd.luks.name=a=b=c rd.auto= -- x")
	f.Fuzz(func(t *testing.T, tab, line string) {
		entries := parseCrypttab([]byte(tab))
		if len(entries) > maxCrypttabEntries {
			t.Fatalf("%d entries", len(entries))
		}
		for _, e := range entries {
			if e.source == "" {
				t.Fatalf("entry without a source: %+v", e)
			}
			if n := entryUnlocks(e, testCrypt); n != namesIt && n != namesOther && n != namesUnknown {
				t.Fatalf("naming %v", n)
			}
		}
		a := parseLUKSArgs(line)
		_ = uuidNamed(append(a.uuids, a.nameUUIDs...), testLUKS, true)
		if e, ok := parseCryptopts(line); ok && e.source == "" {
			t.Fatalf("cryptopts without a source: %+v", e)
		}
	})
}
