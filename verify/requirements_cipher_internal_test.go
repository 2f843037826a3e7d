package verify

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestCipherModules(t *testing.T) {
	cases := map[string][]string{
		"aes-xts-plain64":       {"crypto-aes", "crypto-xts"},
		"aes:64-cbc-lmk":        {"crypto-aes", "crypto-cbc", "crypto-md5"},
		"aes-cbc-essiv:sha256":  {"crypto-aes", "crypto-cbc", "crypto-essiv", "crypto-sha256"},
		"serpent-xts-plain":     {"crypto-serpent", "crypto-xts"},
		"aes":                   {"crypto-aes", "crypto-cbc"},
		"aes-ecb":               {"crypto-aes", "crypto-ecb"},
		"capi:xts(aes)-plain64": {"crypto-xts", "crypto-aes"},
		"capi:authenc(hmac(sha256),xts(aes))-random": {"crypto-authenc", "crypto-hmac", "crypto-sha256", "crypto-xts", "crypto-aes"},
		"capi:cbc(aes)": {"crypto-cbc", "crypto-aes"},
	}
	for spec, want := range cases {
		got, err := cipherModules(spec)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("cipherModules(%q) = %q, %v; want %q", spec, got, err, want)
		}
	}
	for _, bad := range []string{"", "aes-cbc-essiv:", "AES-XTS", "capi:", "capi:xts(aes;rm)-plain", "aes--plain64", strings.Repeat("a", 300)} {
		if _, err := cipherModules(bad); !errors.Is(err, errCipher) {
			t.Errorf("cipherModules(%q): %v, want errCipher", bad, err)
		}
	}
}

func TestCryptCiphers(t *testing.T) {
	table := "0 1000 crypt aes-xts-plain64 - 0 259:2 32768 1 allow_discards\n1000 8 linear 8:1 0\n1008 10 crypt aes-xts-plain64 - 0 8:3 0\n2000 4 crypt capi:cbc(aes)-essiv:sha256 - 0 8:4 0\nshort crypt\n"
	if got, want := cryptCiphers(table), []string{"aes-xts-plain64", "capi:cbc(aes)-essiv:sha256"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// FuzzDMTable feeds the table and cipher readers anything. Invariants: no
// panic, each cipher read once, and every name a module is asked for is
// "crypto-" and a name of the crypto API's alphabet.
func FuzzDMTable(f *testing.F) {
	f.Add("0 1000 crypt aes-xts-plain64 - 0 259:2 32768 1 allow_discards\n")
	f.Add("0 8 crypt capi:authenc(hmac(sha256),xts(aes))-random - 0 8:2 0 2 integrity:28:aead sector_size:4096\n")
	f.Add("0 8 crypt aes-cbc-essiv:sha256 - 0 8:2 0\n0 8 crypt ((((-)))) - 0 8:2 0\n")
	f.Fuzz(func(t *testing.T, table string) {
		seen := map[string]bool{}
		for _, spec := range cryptCiphers(table) {
			if seen[spec] {
				t.Fatalf("%q read twice", spec)
			}
			seen[spec] = true
			mods, err := cipherModules(spec)
			if err != nil {
				continue
			}
			for _, m := range mods {
				n, ok := strings.CutPrefix(m, "crypto-")
				if !ok || n == "" || !validAlgName(n) {
					t.Fatalf("%q from %q", m, spec)
				}
			}
		}
	})
}
