package verify

import (
	"strings"
	"testing"
)

// TestModprobeConfParse: modprobe.d syntax as libkmod reads it.
func TestModprobeConfParse(t *testing.T) {
	var conf modprobeConf
	conf.blacklist = map[string]string{}
	conf.parse("x.conf", []byte("# comment\n\nblacklist a-b\nblacklist \\\n\tc\\d\r\n"+
		"options e x=1\nsoftdep f pre: g\nalias h i\ninstall j   /bin/false  \ninstall\nblacklist\n  blacklist k\nblacklist l"))
	for name, where := range map[string]string{"a_b": "x.conf:3", "cd\r": "x.conf:4", "k": "x.conf:12", "l": "x.conf:13"} {
		if got := conf.blacklist[name]; got != where {
			t.Errorf("blacklist %q at %q, want %q (all: %q)", name, got, where, conf.blacklist)
		}
	}
	if len(conf.blacklist) != 4 {
		t.Errorf("blacklist %q", conf.blacklist)
	}
	if l, ok := conf.installFor("j"); !ok || l.command != "/bin/false  " || l.where != "x.conf:9" {
		t.Errorf("install j: %+v %v", l, ok)
	}
	if _, ok := conf.installFor("e"); ok {
		t.Error("an options line made an install")
	}
}

// TestModprobeConfHostile: odd bytes never crash the parser, and a long
// file is read in one pass.
func TestModprobeConfHostile(t *testing.T) {
	for _, in := range []string{"", "\\", "\\\\\\", "\n\n\n", "blacklist \\", "install x \\\n", strings.Repeat("\\\n", 100000) + "blacklist z",
		strings.Repeat("blacklist y\x00\xff ", 50000)} {
		conf := modprobeConf{blacklist: map[string]string{}}
		conf.parse("h.conf", []byte(in))
	}
	conf := modprobeConf{blacklist: map[string]string{}}
	conf.parse("h.conf", []byte(strings.Repeat("\\\n", 100000)+"blacklist z\n"))
	if conf.blacklist["z"] != "h.conf:1" {
		t.Errorf("continued line: %q", conf.blacklist)
	}
}

// TestInstallLoads: what an install command does for the module.
func TestInstallLoads(t *testing.T) {
	for _, tc := range []struct {
		cmd          string
		loads, known bool
	}{
		{"/bin/false", false, true},
		{"/bin/true", false, true},
		{"true", false, true},
		{"/sbin/modprobe --ignore-install nvme $CMDLINE_OPTS", true, true},
		{"/sbin/modprobe -i nvme-core", true, true},
		{"/sbin/modprobe nvme", false, false},
		{"/sbin/insmod /lib/modules/x/nvme.ko", true, true},
		{"/usr/local/bin/thing", false, false},
		{"/bin/false; /bin/echo no", false, false},
	} {
		module := "nvme"
		if strings.Contains(tc.cmd, "nvme-core") {
			module = "nvme_core"
		}
		if loads, known := installLoads(tc.cmd, module); loads != tc.loads || known != tc.known {
			t.Errorf("%q: loads %v known %v, want %v %v", tc.cmd, loads, known, tc.loads, tc.known)
		}
	}
}
